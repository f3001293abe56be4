"""Start-up time of `pipe` commands as whole processes, against the interpreter alone (`python -c pass`).

    python bench/cli/startup.py                 # 7 interleaved rounds
    python bench/cli/startup.py --repeats 15

Goals (issue 15): `pipe validate` of an example and an unchanged (fully cached) `pipe run` of
examples/quickstart.yaml under 0.3 s. Each round runs every command once, in turn, so that machine load hits all
of them alike; the table gives min/median/max wall seconds, the median minus the median of `python -c pass`
(what pipec itself costs), and the same for CPU seconds (user + system: steadier than wall time on a loaded
machine). The store of `pipe run` lives in a temporary folder, filled by one run before timing.
`import litellm` and `import numpy` are listed to show what lazy imports avoid."""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def pipe_script() -> str:
    """The `pipe` script of this interpreter's installation (what pip installed beside `python`), so that a
    version manager's shim in front of it (pyenv's is a bash script that runs `pyenv exec`: 0.05-0.1 s) is not
    counted as pipec's start-up; `pipe` on PATH when there is none."""
    beside = Path(sys.executable).with_name("pipe")
    return str(beside) if beside.exists() else shutil.which("pipe") or "pipe"


COMPILED = {"PIPEC_NO_PLAN_CACHE": "1"}  # the slow path: compile (and key) the graph every time


def commands(store: Path) -> list[tuple[str, list[str], dict[str, str]]]:
    pipe = pipe_script()
    quick = str(REPO / "examples" / "quickstart.yaml")
    rag = str(REPO / "examples" / "rag" / "offline.yaml")
    run = [pipe, "run", "-q", quick, "--store", str(store)]
    return [
        ("python -c pass", [sys.executable, "-c", "pass"], {}),
        ("pipe --help", [pipe, "--help"], {}),
        ("pipe validate quickstart", [pipe, "validate", quick], {}),
        ("pipe validate quickstart (compiled)", [pipe, "validate", quick], COMPILED),
        ("pipe validate rag/offline", [pipe, "validate", rag], {}),
        ("pipe validate rag/offline (compiled)", [pipe, "validate", rag], COMPILED),
        ("pipe validate metaqa/edge_scorer", [pipe, "validate", str(REPO / "examples" / "metaqa" / "edge_scorer.yaml")],
         {}),
        ("pipe run quickstart (cached)", run, {}),
        ("pipe run quickstart (cached, compiled)", run, COMPILED),
        ("python -c 'import numpy'", [sys.executable, "-c", "import numpy"], {}),
        ("python -c 'import litellm'", [sys.executable, "-c", "import litellm"], {}),
    ]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one whole process. CPU time is what the process itself spent: on a loaded
    machine it moves much less than wall time, which includes waiting for a core."""
    cpu0, t0 = _children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    with tempfile.TemporaryDirectory(prefix="pipec-startup-") as tmp:
        store = Path(tmp) / "store"
        cmds = commands(store)
        run_once(cmds[-4][1], env)  # fill the store: the timed runs are unchanged re-runs
        for _, cmd, extra in cmds:
            run_once(cmd, {**env, **extra})  # warm the OS file cache, pipec's op index and its plan cache
        times: dict[str, list[float]] = {label: [] for label, _, _ in cmds}
        cpus: dict[str, list[float]] = {label: [] for label, _, _ in cmds}
        for _ in range(args.repeats):
            for label, cmd, extra in cmds:
                wall, cpu = run_once(cmd, {**env, **extra})
                times[label].append(wall)
                cpus[label].append(cpu)
    base = statistics.median(times["python -c pass"])
    cpu_base = statistics.median(cpus["python -c pass"])
    print(f"whole-process wall time, s ({args.repeats} interleaved rounds; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {pipe_script()})")
    header = f"{'command':<40}{'min':>8}{'median':>8}{'max':>8}{'- python':>10}{'cpu med':>9}{'- python':>10}"
    print(header)
    print("-" * len(header))
    for label, ts in times.items():
        med = statistics.median(ts)
        cpu = statistics.median(cpus[label])
        base_row = label == "python -c pass"
        extra = f"{'':>10}" if base_row else f"{med - base:10.3f}"
        cpu_extra = f"{'':>10}" if base_row else f"{cpu - cpu_base:10.3f}"
        print(f"{label:<40}{min(ts):8.3f}{med:8.3f}{max(ts):8.3f}{extra}{cpu:9.3f}{cpu_extra}")


if __name__ == "__main__":
    main()
