"""A marker secret, given as `${env:NAME}` or through the provider's key variable, is never in the store nor
in any output, also when the provider's error messages echo it (a 400 on one item, a 401 on all)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fault_graphs import KEY_ENV, MARKER_KEY, fault_graph

pytestmark = [pytest.mark.xdist_group("faults"), pytest.mark.slow]


def pipe(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipec.compiler.cli", *args], capture_output=True, text=True,
                          timeout=120, env=env, cwd=cwd)


def assert_nowhere(secret: str, store: Path, outputs: list[subprocess.CompletedProcess]) -> None:
    files = [p for p in store.rglob("*") if p.is_file()]
    assert files, "the store is empty"
    for path in files:
        assert secret.encode() not in path.read_bytes(), f"the secret is in {path}"
    for proc in outputs:
        assert secret not in proc.stdout and secret not in proc.stderr, f"the secret is in the output of {proc.args}"


def run_everything(tmp_path: Path, env: dict[str, str]) -> list[subprocess.CompletedProcess]:
    store = str(tmp_path / "store")
    procs = [pipe(tmp_path, "run", "g.yaml", "--store", store, env=env),
             pipe(tmp_path, "run", "g.yaml", "--store", store, "--json", env=env),
             pipe(tmp_path, "runs", "--store", store, env=env),
             pipe(tmp_path, "show", "last", "--store", store, env=env),
             pipe(tmp_path, "show", "last", "--store", store, "--json", env=env)]
    return procs


def test_an_env_reference_key_echoed_by_a_400_on_one_item(server, tmp_path):
    server.faults = {"item q2": "400"}
    (tmp_path / "g.yaml").write_text(fault_graph(server.url, n=4, settings=", max_item_errors: 1"))
    env = {**os.environ, KEY_ENV: MARKER_KEY}
    env.pop("OPENAI_API_KEY", None)
    procs = run_everything(tmp_path, env)
    assert procs[0].returncode == 0, procs[0].stderr
    assert "fault 400" in procs[0].stderr + procs[0].stdout  # the item error is shown ...
    assert "${env:PIPEC_FAULT_KEY}" in procs[1].stdout  # ... with the key's placeholder
    assert server.sent("item q2")[0]["auth"] == f"Bearer {MARKER_KEY}"  # the real key was sent
    assert_nowhere(MARKER_KEY, tmp_path / "store", procs)


def test_the_providers_key_variable_echoed_by_a_401(server, tmp_path):
    server.faults = {"item": "401"}
    text = fault_graph(server.url, n=4).replace(f', api_key: "${{env:{KEY_ENV}}}"', "")
    (tmp_path / "g.yaml").write_text(text)
    env = {**os.environ, "OPENAI_API_KEY": MARKER_KEY}
    procs = run_everything(tmp_path, env)
    assert procs[0].returncode == 1 and "authentication failed" in procs[0].stderr
    assert server.sent()[0]["auth"] == f"Bearer {MARKER_KEY}"
    assert "${env:OPENAI_API_KEY}" in procs[0].stderr
    assert_nowhere(MARKER_KEY, tmp_path / "store", procs)
