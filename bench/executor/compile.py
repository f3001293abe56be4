"""Compile time per node as a graph grows: must stay flat (goal: 10,000 nodes within 1.5x of 100 nodes per node).

    python bench/executor/compile.py                       # chain and wide layer, 100 / 1,000 / 10,000 nodes
    python bench/executor/compile.py --sizes 100 10000 --repeats 5

Each round compiles every size once, sizes interleaved (so that machine load hits all sizes alike), with the
garbage collector in its normal state (on): the real path `pipe run` takes. Prints min/median/max ms per node
and each size's median relative to the smallest size's."""

from __future__ import annotations

import argparse
import gc
import statistics
import time

from pipec.compiler.compile import compile_text
from run import chain_yaml, wide_yaml


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    assert gc.isenabled()
    compile_text(chain_yaml(10), "warmup.yaml")  # imports and op loading are not compile time
    header = f"{'graph':<12}{'nodes':>7}{'min':>9}{'median':>9}{'max':>9}{'vs smallest':>13}"
    print(f"compile, ms per node ({args.repeats} interleaved rounds, gc on)")
    print(header)
    print("-" * len(header))
    for shape, make in (("chain", chain_yaml), ("wide layer", wide_yaml)):
        texts = {n: make(n) for n in args.sizes}
        times: dict[int, list[float]] = {n: [] for n in args.sizes}
        for _ in range(args.repeats):
            for n, text in texts.items():
                t0 = time.perf_counter()
                graph = compile_text(text, "bench.yaml")
                times[n].append((time.perf_counter() - t0) / n * 1000)
                assert len(graph.nodes) == n
                del graph
        base = statistics.median(times[args.sizes[0]])
        for n, ts in times.items():
            med = statistics.median(ts)
            print(f"{shape:<12}{n:>7}{min(ts):9.3f}{med:9.3f}{max(ts):9.3f}{med / base:12.2f}x")


if __name__ == "__main__":
    main()
