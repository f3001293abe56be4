"""The examples in docs/api.md run, in order, from the repository root (each block sees the earlier ones)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "api.md"


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_doc_has_examples():
    assert len(blocks()) >= 5


@pytest.mark.slow
def test_the_api_examples_run(monkeypatch):
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("PIPEC_FAKE_LLM", raising=False)
    namespace: dict = {"__name__": "docs_api"}
    for i, code in enumerate(blocks()):
        try:
            exec(compile(code, f"docs/api.md block {i + 1}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"docs/api.md block {i + 1} failed: {type(exc).__name__}: {exc}\n{code}") from exc
    assert os.path.isdir(namespace["store_dir"])


def test_import_pipec_is_cheap():
    import subprocess
    import sys

    code = "import sys, pipec; print(sorted(m for m in sys.modules if m.startswith(('pipec', 'pydantic'))))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "['pipec']"  # names load on first use (pipec.load imports the compiler)
