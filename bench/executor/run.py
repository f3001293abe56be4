"""Executor overhead: chains and wide layers of trivial nodes, cold and warm cache, side by side with Haystack.

    python bench/executor/run.py            # 100 and 1,000 nodes
    python bench/executor/run.py --sizes 100 1000 5000
    python bench/executor/run.py --sizes 10000 --repeats 7    # goal: a fully cached re-run <= 0.2x the cold run

Prints per-node scheduling overhead (ms) for pipec cold (empty store: every node runs and is persisted),
pipec warm (unchanged re-run: every node is a cache hit), pipec with no store, and Haystack 2.x/3.x
(`pip install haystack-ai`; skipped when absent), and the Haystack/pipec ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from pipec.compiler.compile import compile_text
from pipec.compiler.executor import Executor
from pipec.compiler.store import Store


def chain_yaml(n: int) -> str:
    lines = ["pipeline: chain", "nodes:", "  n0: {op: core.value, params: {value: 0}}"]
    lines += [f"  n{i}: {{op: core.add, inputs: {{values: [n{i - 1}]}}, params: {{add: 1}}}}" for i in range(1, n)]
    return "\n".join(lines) + "\n"


def wide_yaml(n: int) -> str:
    lines = ["pipeline: wide", "nodes:", "  src: {op: core.value, params: {value: 0}}"]
    lines += [f"  w{i}: {{op: core.add, inputs: {{values: [src]}}, params: {{add: {i}}}}}" for i in range(n - 1)]
    return "\n".join(lines) + "\n"


def time_pipec(text: str, n: int, repeats: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    graph = compile_text(text, "bench.yaml")
    compile_s = time.perf_counter() - t0
    best = {"cold": float("inf"), "warm": float("inf"), "no store": float("inf")}
    ratios = []  # warm / cold of each repeat (same store, back to back)
    for _ in range(repeats):
        root = Path(tempfile.mkdtemp(prefix="pipec-bench-"))
        store = Store(root)
        try:
            took = {}
            for label in ("cold", "warm"):
                t0 = time.perf_counter()
                result = Executor(graph, store).run()
                took[label] = time.perf_counter() - t0
                best[label] = min(best[label], took[label])
                assert result.status == "succeeded"
                assert (result.cache_hits == n) == (label == "warm")
            ratios.append(took["warm"] / took["cold"])
        finally:
            store.close()
            shutil.rmtree(root, ignore_errors=True)
        t0 = time.perf_counter()
        Executor(graph, None).run()
        best["no store"] = min(best["no store"], time.perf_counter() - t0)
    out = {k: v / n * 1000 for k, v in best.items()}
    out["compile"] = compile_s / n * 1000
    out["ratios"] = ratios
    return out


def time_haystack(shape: str, n: int, repeats: int) -> float | None:
    try:
        from haystack import Pipeline, component
    except ImportError:
        return None

    @component
    class AddOne:
        @component.output_types(value=int)
        def run(self, value: int):
            return {"value": value + 1}

    pipe = Pipeline(max_runs_per_component=10**9)
    if shape == "chain":
        for i in range(n):
            pipe.add_component(f"n{i}", AddOne())
        for i in range(1, n):
            pipe.connect(f"n{i - 1}.value", f"n{i}.value")
        data = {"n0": {"value": 0}}
    else:
        for i in range(n):
            pipe.add_component(f"w{i}", AddOne())
        data = {f"w{i}": {"value": i} for i in range(n)}
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        pipe.run(data)
        best = min(best, time.perf_counter() - t0)
    return best / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    header = (f"{'graph':<12}{'nodes':>7}{'compile':>10}{'cold':>10}{'warm':>10}{'no store':>10}"
              f"{'haystack':>10}{'hs/cold':>9}{'hs/nostore':>11}{'warm/cold min/med/max':>24}")
    load = os.getloadavg()
    print(f"per-node time in ms (best of {args.repeats}); warm/cold: the unchanged re-run's time over the "
          f"first run's, per repeat; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(header)
    print("-" * len(header))
    for shape, make in (("chain", chain_yaml), ("wide layer", wide_yaml)):
        for n in args.sizes:
            p = time_pipec(make(n), n, args.repeats)
            hs = time_haystack("chain" if shape == "chain" else "wide", n, args.repeats)
            hs_text = f"{hs:10.3f}" if hs is not None else f"{'absent':>10}"
            r1 = f"{hs / p['cold']:8.1f}x" if hs else f"{'-':>9}"
            r2 = f"{hs / p['no store']:10.1f}x" if hs else f"{'-':>11}"
            rs = p["ratios"]
            spread = f"{min(rs):.3f}/{statistics.median(rs):.3f}/{max(rs):.3f}"
            print(f"{shape:<12}{n:>7}{p['compile']:10.3f}{p['cold']:10.3f}{p['warm']:10.3f}{p['no store']:10.3f}"
                  f"{hs_text}{r1}{r2}{spread:>24}")


if __name__ == "__main__":
    main()
