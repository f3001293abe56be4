"""`pipe graph --format text|mermaid|dot|svg|png`: op, the static/per-request split, and a run's node states."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVE = REPO / "examples" / "rag" / "serve.yaml"


def pipe(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipec.compiler.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env=env)


def test_text_and_mermaid_show_the_split(tmp_path):
    text = pipe("graph", str(SERVE), "--format", "text", cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    static, request = text.stdout.split("per request:")
    assert "index [index.build]" in static and "retrieve [retrieve]" in request and "index" not in request.split(
        "<-")[0]
    mermaid = pipe("graph", str(SERVE), cwd=tmp_path).stdout
    assert 'subgraph part0["static (computed once)"]' in mermaid and 'subgraph part1["per request"]' in mermaid


def test_a_run_colours_the_nodes_with_status_and_time(tmp_path):
    store = ["--store", str(tmp_path / "st")]
    quick = REPO / "examples" / "quickstart.yaml"
    assert pipe("run", str(quick), "--set", "delay=0", "-q", *store, cwd=tmp_path).returncode == 0
    dot = pipe("graph", str(quick), "--set", "delay=0", "--format", "dot", "--run", "last", *store, cwd=tmp_path)
    assert dot.returncode == 0, dot.stderr
    assert 'fillcolor="#c8e6c9"' in dot.stdout and "succeeded 0." in dot.stdout


def test_without_graphviz_a_clear_message_and_the_mermaid_text(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # no `dot` on PATH
    done = pipe("graph", str(SERVE), "--out", str(tmp_path / "g.svg"), cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert "Graphviz's 'dot' program is not installed" in done.stderr and "apt-get install graphviz" in done.stderr
    assert done.stdout.startswith("flowchart TD") and not (tmp_path / "g.svg").exists()


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_svg_and_png_through_graphviz(tmp_path, fmt):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)")
    out = tmp_path / f"g.{fmt}"
    done = pipe("graph", str(SERVE), "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = out.read_bytes()
    if fmt == "png":
        assert data.startswith(b"\x89PNG")
    else:
        svg = data.decode()
        assert "<svg" in svg and "index.build" in svg and "per request" in svg
