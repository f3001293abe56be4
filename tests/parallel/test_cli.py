"""`pipe tune --workers/--backend` from the command line (a real subprocess, a real store)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .helpers import write_graph


def _pipe(*args: str, cwd, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipec.compiler.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, **(env or {})})


@pytest.mark.slow
def test_pipe_tune_workers_2(tmp_path):
    graph = write_graph(tmp_path, {"strategy": "grid"}, shared_sleep=0.1)
    done = _pipe("tune", str(graph), "--workers", "2", "--trials", "6", "--json", "--store", str(tmp_path / "s"),
                 cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    study = json.loads(done.stdout)
    assert len(study["trials"]) == 6 and all(t["state"] == "complete" for t in study["trials"])


def test_backend_ray_without_ray_is_a_clear_error(tmp_path):
    blocker = tmp_path / "noray"
    (blocker / "ray").mkdir(parents=True)
    (blocker / "ray" / "__init__.py").write_text("raise ImportError('No module named ray')\n")
    graph = write_graph(tmp_path, {"strategy": "grid"}, shared_sleep=0.0)
    done = _pipe("tune", str(graph), "--backend", "ray", "--trials", "2", "--store", str(tmp_path / "s"),
                 cwd=tmp_path, env={"PYTHONPATH": str(blocker)})
    assert done.returncode == 2, done.stderr
    assert "pip install 'pipec[ray]'" in done.stderr and "Traceback" not in done.stderr
