"""Invalid graphs under graphs/invalid/ and the exact diagnostics they must produce (graphs/invalid/*.errors).

To accept a deliberate change of messages: PIPEC_UPDATE_ERRORS=1 pytest tests/compiler/test_compile_errors.py"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pipec.compiler.compile import compile_file, compile_text
from pipec.compiler.errors import CompileError

from .testops import make_registry

HERE = Path(__file__).parent
INVALID = sorted((HERE / "graphs" / "invalid").glob("*.yaml"))


def diagnostics_text(path: Path) -> str:
    with pytest.raises(CompileError) as info:
        compile_file(path, registry=make_registry(), env={})
    return info.value.format().replace(str(path), path.name) + "\n"


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_graph_reports_exact_errors(path: Path):
    expected_file = path.with_suffix(".errors")
    got = diagnostics_text(path)
    if os.environ.get("PIPEC_UPDATE_ERRORS"):
        expected_file.write_text(got)
    assert got == expected_file.read_text()


def test_every_error_has_a_location_and_the_cli_exits_2_without_traceback(tmp_path):
    path = HERE / "graphs" / "invalid" / "many_errors.yaml"
    proc = subprocess.run([sys.executable, "-m", "pipec.compiler.cli", "validate", str(path)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if ": error: " in line]
    assert len(lines) == 10
    assert all(line.startswith(f"{path}:") for line in lines)


def test_unknown_op_suggests_the_closest_name():
    text = "nodes:\n  a: {op: core.idenity}\n"
    with pytest.raises(CompileError) as info:
        compile_text(text, "g.yaml")
    (d,) = info.value.diagnostics
    assert d.message == "unknown op 'core.idenity'" and d.fix == "did you mean 'core.identity'?"
    assert (d.location.line, d.location.col) == (2, 11)


def test_missing_env_and_override_errors_are_reported_together():
    text = "params: {k: '${env:PIPEC_NOPE}'}\nnodes:\n  a: {op: core.value, params: {value: '${k}'}}\n"
    with pytest.raises(CompileError) as info:
        compile_text(text, "g.yaml", overrides=["nope=3", "a.value"], env={})
    messages = [d.format() for d in info.value.diagnostics]
    assert any("environment variable 'PIPEC_NOPE' is not set" in m for m in messages)
    assert any("--set:1:1" in m and "'nope' is neither a pipeline parameter" in m for m in messages)
    assert any("--set:1:2" in m and "expects PATH=VALUE" in m for m in messages)


def test_path_params_must_exist(tmp_path):
    registry = make_registry()
    (tmp_path / "there.txt").write_text("x")
    compile_text("nodes:\n  r: {op: test.read, params: {path: there.txt}}\n", base_dir=tmp_path, registry=registry)
    with pytest.raises(CompileError) as info:
        compile_text("nodes:\n  r: {op: test.read, params: {path: missing.txt}}\n", base_dir=tmp_path,
                     registry=registry)
    assert "path 'missing.txt' does not exist" in info.value.diagnostics[0].message
