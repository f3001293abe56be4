"""Start-up time of the `pipe` command: `pipe --help` must answer well under half a second.

    python bench/cli/startup.py

Prints the best and median wall time of `pipe --help`, `pipe validate` on the quickstart example, and, for
comparison, `python -c pass` (the interpreter alone) and `import litellm` (what lazy imports avoid)."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def timed(cmd: list[str], repeats: int) -> tuple[float, float]:
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main() -> None:
    pipe = shutil.which("pipe") or "pipe"
    rows = [
        ("python -c pass", [sys.executable, "-c", "pass"], 5),
        ("pipe --help", [pipe, "--help"], 5),
        ("pipe validate quickstart", [pipe, "validate", str(REPO / "examples" / "quickstart.yaml")], 5),
        ("python -c 'import litellm'", [sys.executable, "-c", "import litellm"], 2),
    ]
    print(f"{'command':<30}{'best s':>9}{'median s':>10}")
    for label, cmd, repeats in rows:
        best, median = timed(cmd, repeats)
        print(f"{label:<30}{best:9.3f}{median:10.3f}")


if __name__ == "__main__":
    main()
