"""Start-up stays cheap (issue 15): each command imports only what it uses. Checked in a fresh process through
`sys.modules`, so a module-level import of numpy, rich, litellm or networkx slipping back in fails here (the
timings are in bench/cli/startup.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = str(REPO / "examples" / "quickstart.yaml")
RAG = str(REPO / "examples" / "rag" / "offline.yaml")
HEAVY = ("numpy", "rich", "litellm", "networkx", "faiss", "pipec.optimizers")

CODE = """import json, sys
from pipec.compiler.cli import main
try:
    rc = main(json.loads(sys.argv[1]))
except SystemExit as exc:  # --help exits
    rc = exc.code
heavy = json.loads(sys.argv[2])
print(json.dumps({"rc": rc, "imported": sorted(m for m in heavy if m in sys.modules)}))
"""


def imported(args: list[str], heavy: tuple[str, ...], tmp_path: Path) -> list[str]:
    env = {**os.environ, "PIPEC_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-c", CODE, json.dumps(args), json.dumps(heavy)], capture_output=True,
                          text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["rc"] == 0, proc.stderr
    return result["imported"]


@pytest.mark.parametrize("graph", [QUICKSTART, RAG], ids=["quickstart", "rag-offline"])
def test_validate_imports_nothing_heavy(graph, tmp_path):
    assert imported(["validate", graph], HEAVY, tmp_path) == []


def test_validate_of_a_rag_graph_does_not_open_the_store_package(tmp_path):
    assert imported(["validate", RAG], ("pipec.compiler.store", "sqlite3"), tmp_path) == []


def test_an_unchanged_cached_run_imports_nothing_heavy(tmp_path):
    store = str(tmp_path / "store")
    run = ["run", "-q", QUICKSTART, "--store", store, "--set", "delay=0"]
    assert imported(run, (), tmp_path) == []  # the first run fills the store
    assert imported(run, HEAVY, tmp_path) == []


def test_help_imports_no_pydantic(tmp_path):
    assert imported(["--help"], ("pydantic", "yaml", *HEAVY), tmp_path) == []
