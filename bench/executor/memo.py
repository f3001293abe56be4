"""Memoization on a real pipeline: a second, unchanged run relative to the first, and a run that changes one
downstream parameter, each in a fresh store, measured side by side.

    python bench/executor/memo.py                                   # examples/rag/offline.yaml
    python bench/executor/memo.py GRAPH.yaml --change retrieve.top_k=3
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from pipec.compiler.compile import compile_file
from pipec.compiler.executor import Executor
from pipec.compiler.store import Store

REPO = Path(__file__).resolve().parents[2]


def timed_run(path: Path, store: Store, overrides: list[str]) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    graph = compile_file(path, overrides)
    result = Executor(graph, store).run()
    elapsed = time.perf_counter() - t0
    if result.status != "succeeded":
        raise SystemExit(f"run failed: {result.error}")
    executed = sum(1 for n in result.nodes.values() if not n.cache_hit)
    return elapsed, executed, len(result.nodes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("graph", nargs="?", default=str(REPO / "examples" / "rag" / "offline.yaml"))
    parser.add_argument("--change", default="top_k=3", help="a downstream override for the third run")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="pipec-memo-"))
    store = Store(root)
    try:
        cold = timed_run(Path(args.graph), store, [])
        warm = timed_run(Path(args.graph), store, [])
        changed = timed_run(Path(args.graph), store, [args.change])
    finally:
        store.close()
        shutil.rmtree(root, ignore_errors=True)
    print(f"graph: {args.graph}")
    print(f"{'run':<28}{'seconds':>9}{'nodes run':>11}{'vs first':>10}")
    for label, (secs, executed, total) in (("first (empty store)", cold), ("second (unchanged)", warm),
                                            (f"third ({args.change})", changed)):
        print(f"{label:<28}{secs:9.3f}{f'{executed}/{total}':>11}{secs / cold[0]:10.3f}")


if __name__ == "__main__":
    main()
