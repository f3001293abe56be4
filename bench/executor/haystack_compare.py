"""pipec beside Haystack on a wide layer of trivial components, each side a whole fresh process, interleaved.

    python bench/executor/haystack_compare.py --haystack-python /tmp/hay/bin/python
    python bench/executor/haystack_compare.py --haystack-python /tmp/hay/bin/python --nodes 1000 --rounds 7

Haystack is not a dependency of pipec: install it in a separate environment
(`python -m venv /tmp/hay && /tmp/hay/bin/pip install haystack-ai`) and pass its interpreter; without it (or
when `haystack` does not import there) the comparison is skipped with a message.

The shape is the same on both sides: one source node with value 0 and N-1 nodes that each read it and add their
own constant (`core.value` + `core.add` in pipec, two `@component` classes in Haystack). Each round starts one
process per variant, in an order rotated every round (so machine load hits every variant alike):

    pipec store     compile + run against an empty store (every node runs and is persisted)
    pipec no store  compile + run with no store
    haystack        build the Pipeline (add_component + connect) + run

Inside each process, after its imports, it times "build" (pipec: compile the YAML text; Haystack: build the
Pipeline) and "run" (pipec: open the store, run, persist; Haystack: `Pipeline.run`); the outer wall time of the process (imports included) is reported beside them. Ratios are
pipec / Haystack per round (paired), then min/median/max over rounds: below 1 means pipec is faster.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
VARIANTS = ("pipec store", "pipec no store", "haystack")


# --- the worker side (runs in a fresh process; imports only what its variant needs) --------------------------
def wide_yaml(n: int) -> str:
    lines = ["pipeline: wide", "nodes:", "  src: {op: core.value, params: {value: 0}}"]
    lines += [f"  w{i}: {{op: core.add, inputs: {{values: [src]}}, params: {{add: {i}}}}}" for i in range(n - 1)]
    return "\n".join(lines) + "\n"


def work_pipec(n: int, with_store: bool) -> dict[str, float]:
    from pipec.compiler.compile import compile_text
    from pipec.compiler.executor import Executor
    from pipec.compiler.store import Store

    root = Path(tempfile.mkdtemp(prefix="pipec-hs-"))
    try:
        t0 = time.perf_counter()
        graph = compile_text(wide_yaml(n), "wide.yaml")
        t1 = time.perf_counter()
        store = Store(root) if with_store else None  # opening (creating) the store counts as running
        result = Executor(graph, store).run()
        t2 = time.perf_counter()
        if store is not None:
            store.close()
        if result.status != "succeeded" or len(result.nodes) != n or result.cache_hits:
            raise SystemExit(f"pipec run went wrong: {result.status} {result.error}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {"build": t1 - t0, "run": t2 - t1}


def work_haystack(n: int) -> dict[str, float]:
    from haystack import Pipeline, component

    @component
    class Value:
        def __init__(self, value: int):
            self.value = value

        @component.output_types(value=int)
        def run(self) -> dict[str, int]:
            return {"value": self.value}

    @component
    class Add:
        def __init__(self, add: int):
            self.add = add

        @component.output_types(value=int)
        def run(self, value: int) -> dict[str, int]:
            return {"value": value + self.add}

    t0 = time.perf_counter()
    pipe = Pipeline()
    pipe.add_component("src", Value(0))
    for i in range(n - 1):
        pipe.add_component(f"w{i}", Add(i))
        pipe.connect("src.value", f"w{i}.value")
    t1 = time.perf_counter()
    out = pipe.run({})
    t2 = time.perf_counter()
    if len(out) != n - 1 or out[f"w{n - 2}"]["value"] != n - 2:
        raise SystemExit("haystack run went wrong")
    return {"build": t1 - t0, "run": t2 - t1}


def worker(variant: str, n: int) -> None:
    if variant == "haystack":
        times = work_haystack(n)
    else:
        times = work_pipec(n, with_store=variant == "pipec store")
    print(json.dumps(times))


# --- the driver ------------------------------------------------------------------------------------------
def haystack_version(python: str) -> str | None:
    probe = "import importlib.metadata as m, haystack; print(m.version('haystack-ai'))"
    try:
        done = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def one_process(python: str, variant: str, n: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    t0 = time.perf_counter()
    done = subprocess.run([python, str(HERE), "--worker", variant, "--nodes", str(n)], capture_output=True,
                          text=True, env=env)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{variant} process failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    times = json.loads(done.stdout.strip().splitlines()[-1])
    return {**times, "build+run": times["build"] + times["run"], "process": wall}


def spread(values: list[float]) -> str:
    return f"{min(values):.3f}/{statistics.median(values):.3f}/{max(values):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--haystack-python", default=None,
                        help="an interpreter with haystack-ai installed (default: this one)")
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--worker", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.nodes < 2 or args.rounds < 1:
        parser.error("--nodes must be at least 2 and --rounds at least 1")
    if args.worker:
        worker(args.worker, args.nodes)
        return
    hs_python = args.haystack_python or sys.executable
    version = haystack_version(hs_python)
    if version is None:
        print(f"skipped: haystack does not import in {hs_python} (python -m venv /tmp/hay && "
              "/tmp/hay/bin/pip install haystack-ai, then --haystack-python /tmp/hay/bin/python)")
        return
    pythons = {"pipec store": sys.executable, "pipec no store": sys.executable, "haystack": hs_python}
    got: dict[str, list[dict[str, float]]] = {v: [] for v in VARIANTS}
    for r in range(args.rounds):
        order = VARIANTS[r % 3:] + VARIANTS[:r % 3]
        for variant in order:
            got[variant].append(one_process(pythons[variant], variant, args.nodes))
    load = os.getloadavg()
    print(f"wide layer, {args.nodes} nodes; haystack-ai {version}; {args.rounds} interleaved rounds, one fresh "
          f"process per variant; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print("seconds, min/median/max")
    cols = ("build", "run", "build+run", "process")
    header = f"{'variant':<16}" + "".join(f"{c:>22}" for c in cols)
    print(header)
    print("-" * len(header))
    for variant in VARIANTS:
        print(f"{variant:<16}" + "".join(f"{spread([t[c] for t in got[variant]]):>22}" for c in cols))
    print()
    print("pipec / haystack, paired per round, min/median/max (below 1: pipec faster)")
    print(header)
    print("-" * len(header))
    for variant in VARIANTS[:2]:
        ratios = {c: [p[c] / h[c] for p, h in zip(got[variant], got["haystack"], strict=True)] for c in cols}
        print(f"{variant:<16}" + "".join(f"{spread(ratios[c]):>22}" for c in cols))


if __name__ == "__main__":
    main()
