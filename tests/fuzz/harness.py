"""Running one fuzzed input through the real `pipe` main and checking the one property: exit 0 or 2, no
traceback, no internal error, within the time limit. A failing input can be saved into the corpus."""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from tests.inputs.helpers import Result, pipe

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
CORPUS = Path(__file__).parent / "corpus"
TIME_LIMIT_S = 2.0
# CI runs a small fixed budget; the longer run (docs/input-limits.md) raises it:
#   PIPEC_FUZZ_EXAMPLES=2000 PIPEC_FUZZ_RANDOM=1 PIPEC_FUZZ_SAVE=1 python -m pytest -q tests/fuzz -m "slow or not slow"
EXAMPLES_PER_TEST = int(os.environ.get("PIPEC_FUZZ_EXAMPLES", "25"))
DERANDOMIZE = not os.environ.get("PIPEC_FUZZ_RANDOM")

_work = Path(tempfile.mkdtemp(prefix="pipec-fuzz-"))
atexit.register(shutil.rmtree, _work, True)


def graph_examples() -> list[Path]:
    """Every shipped example graph (fake LLM scripts are not graphs)."""
    return sorted(p for p in EXAMPLES.rglob("*.yaml") if "\nnodes:" in "\n" + p.read_text())


def workspace(example: Path) -> Path:
    """A private copy of the example's folder (prompts and data beside it resolve as they do for the
    original), made once per process; mutants are written into it."""
    rel = example.parent.relative_to(EXAMPLES)
    target = _work / (str(rel).replace("/", "_") or "root")
    if not target.exists():
        if example.parent == EXAMPLES:
            target.mkdir()
        else:
            shutil.copytree(example.parent, target)
    return target


def warm_up(argv_head: list[str], data: bytes, folder: Path, name: str) -> None:
    """The first call imports the ops' modules (seconds on a loaded machine): not part of any input's time."""
    check(argv_head, data, folder, name, limit_s=60.0)


def check(argv_head: list[str], data: bytes, folder: Path, name: str = "fuzzed.yaml",
          limit_s: float = TIME_LIMIT_S) -> Result:
    path = folder / name
    path.write_bytes(data)
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        t0 = time.perf_counter()
        result = pipe(*argv_head, path)
        elapsed = time.perf_counter() - t0
    finally:
        os.chdir(cwd)
    problem = None
    if result.code not in (0, 2):
        problem = f"exit {result.code}"
    elif "Traceback" in result.err or "internal error" in result.err:
        problem = "a traceback or an internal error"
    elif elapsed > limit_s:
        problem = f"took {elapsed:.2f}s (limit {limit_s}s)"
    if problem:
        saved = save(data) if os.environ.get("PIPEC_FUZZ_SAVE") else None
        raise AssertionError(f"{problem} for `pipe {' '.join(argv_head)}` on this input"
                             + (f" (saved as {saved})" if saved else "") + f":\n{data[:2000]!r}\n--- stderr:\n"
                             + result.err[-3000:])
    return result


def save(data: bytes) -> Path:
    CORPUS.mkdir(exist_ok=True)
    path = CORPUS / f"found-{hashlib.sha256(data).hexdigest()[:10]}.yaml"
    path.write_bytes(data)
    return path
