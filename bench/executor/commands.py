"""A large graph's cached re-run as a user runs it: whole `pipe run` processes, not an executor in-process.

    python bench/executor/commands.py                      # 10,000-node chain, 5 rounds
    python bench/executor/commands.py --nodes 1000 --repeats 7

Each round, in a fresh store and interleaved: the cold run (every node runs and is stored), the unchanged
re-run with the start-up fast path off (PIPEC_NO_PLAN_CACHE=1: compile, key every node, look the keys up), and
the same re-run replayed from its plan (compiler/startup). The issue-15 goal is a fully cached re-run at most
0.2x of the cold run; bench/executor/run.py measures the executor alone, in one process, on one compiled graph.
Prints min / median / max wall seconds and each re-run's ratio to the cold run of its round.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import chain_yaml  # noqa: E402 - the same graph as run.py's chain


def pipe_run(graph: Path, store: Path, cache: Path, compiled: bool) -> float:
    env = {**os.environ, "PIPEC_CACHE_DIR": str(cache)}
    env.pop("PIPEC_NO_PLAN_CACHE", None)
    if compiled:
        env["PIPEC_NO_PLAN_CACHE"] = "1"
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pipec.compiler.cli", "run", "-q", str(graph), "--store",
                           str(store)], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"pipe run failed: {proc.stderr[-800:]}")
    return seconds


def fmt(values: list[float]) -> str:
    return f"{min(values):.3f} / {statistics.median(values):.3f} / {max(values):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="pipec-commands-"))
    graph = root / "chain.yaml"
    graph.write_text(chain_yaml(args.nodes))
    cache = root / "cache"
    warm = subprocess.run([sys.executable, "-m", "pipec.compiler.cli", "validate", str(graph)],
                          env={**os.environ, "PIPEC_CACHE_DIR": str(cache), "PIPEC_NO_PLAN_CACHE": "1"},
                          capture_output=True, text=True)  # builds the op index in the cache folder
    if warm.returncode != 0:
        raise SystemExit(warm.stderr)
    time.sleep(2.1)  # the plan cache does not trust a file changed less than 2 s before it was read
    times: dict[str, list[float]] = {"cold": [], "re-run, compiled": [], "re-run, replayed": []}
    ratios: dict[str, list[float]] = {"re-run, compiled": [], "re-run, replayed": []}
    load0 = os.getloadavg()[0]
    try:
        for i in range(args.repeats):
            store = root / f"store{i}"
            cold = pipe_run(graph, store, cache, compiled=False)  # also records the plan
            compiled = pipe_run(graph, store, cache, compiled=True)
            replayed = pipe_run(graph, store, cache, compiled=False)
            for label, seconds in (("cold", cold), ("re-run, compiled", compiled), ("re-run, replayed", replayed)):
                times[label].append(seconds)
            ratios["re-run, compiled"].append(compiled / cold)
            ratios["re-run, replayed"].append(replayed / cold)
            shutil.rmtree(store, ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"{args.nodes:,}-node chain, whole `pipe run` processes, {args.repeats} rounds; load average "
          f"{load0:.1f} before, {os.getloadavg()[0]:.1f} after; wall seconds min / median / max")
    print(f"{'':<20}{'seconds':>26}{'/ cold':>26}")
    for label, values in times.items():
        ratio = fmt(ratios[label]) if label in ratios else ""
        print(f"{label:<20}{fmt(values):>26}{ratio:>26}")


if __name__ == "__main__":
    main()
