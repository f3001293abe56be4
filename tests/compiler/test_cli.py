"""The `pipe` command end to end, in subprocesses (as a user runs it)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DIAMOND = Path(__file__).parent / "graphs" / "valid" / "diamond.yaml"


def pipe(*args, cwd, env=None, check=True):
    proc = subprocess.run([sys.executable, "-m", "pipec.compiler.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}: {proc.stderr}")
    return proc


def test_help_lists_every_command(tmp_path):
    out = pipe("--help", cwd=tmp_path).stdout
    for command in ("run", "validate", "graph", "runs", "show", "ops", "tune", "tui"):
        assert command in out


def test_run_json_then_cached_rerun(tmp_path):
    first = json.loads(pipe("run", DIAMOND, "--json", cwd=tmp_path).stdout)
    assert first["status"] == "succeeded"
    assert first["outputs"] == {"total": 112.0, "name": "run-1"}
    assert not any(n["cache_hit"] for n in first["nodes"].values())
    second = json.loads(pipe("run", DIAMOND, "--json", cwd=tmp_path).stdout)
    assert all(n["cache_hit"] for n in second["nodes"].values())
    third = json.loads(pipe("run", DIAMOND, "--json", "--set", "base=2", "--set", "right.add=0", cwd=tmp_path).stdout)
    assert third["outputs"]["total"] == 14.0
    assert (tmp_path / ".pipe" / "store.db").exists()


def test_runs_show_graph_ops(tmp_path):
    pipe("run", DIAMOND, "-q", "--store", "st", cwd=tmp_path)
    runs = json.loads(pipe("runs", "--store", "st", "--json", cwd=tmp_path).stdout)
    assert len(runs) == 1 and runs[0]["graph_name"] == "diamond" and runs[0]["status"] == "succeeded"
    shown = json.loads(pipe("show", runs[0]["id"][:17], "--store", "st", "--json", cwd=tmp_path).stdout)
    assert {n["node"] for n in shown["nodes"]} == {"source", "left", "right", "join", "name"}
    assert "join" in pipe("show", "last", "--store", "st", cwd=tmp_path).stdout
    mermaid = pipe("graph", DIAMOND, cwd=tmp_path).stdout
    assert mermaid.startswith("flowchart TD") and "left -->|value → values| join" in mermaid
    dot = pipe("graph", DIAMOND, "--format", "dot", cwd=tmp_path).stdout
    assert '"source" -> "left"' in dot
    ops = json.loads(pipe("ops", "core", "--json", cwd=tmp_path).stdout)
    add = next(o for o in ops if o["name"] == "core.add")
    assert add["inputs"]["values"] == {"type": "Number", "required": False, "many": True, "doc": "numbers to add"}
    assert add["params"][0]["name"] == "add" and add["params"][0]["default"] == 0


def test_bad_input_exits_2_with_one_line_errors(tmp_path):
    proc = pipe("run", tmp_path / "missing.yaml", cwd=tmp_path, check=False)
    assert proc.returncode == 2 and proc.stderr.strip() == f"error: no such file: {tmp_path / 'missing.yaml'}"
    proc = pipe("run", DIAMOND, "--force", "lefty", cwd=tmp_path, check=False)
    assert proc.returncode == 2 and "did you mean 'left'?" in proc.stderr
    proc = pipe("show", "nope", cwd=tmp_path, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_failed_node_exit_1_and_secret_never_stored(tmp_path):
    graph = tmp_path / "g.yaml"
    graph.write_text(
        "params: {key: '${env:PIPEC_TEST_SECRET}'}\n"
        "nodes:\n"
        "  a: {op: core.value, params: {value: 'token ${key}'}}\n"
        "  boom: {op: core.fail, inputs: {value: a}, params: {message: 'bad ${key}'}}\n"
    )
    proc = pipe("run", graph, cwd=tmp_path, env={"PIPEC_TEST_SECRET": "s3cr3t-value-42"}, check=False)
    assert proc.returncode == 1
    assert "node 'boom' (op core.fail) failed" in proc.stderr
    db = sqlite3.connect(tmp_path / ".pipe" / "store.db")
    texts = [str(v) for table in ("runs", "node_runs", "metrics")
             for row in db.execute(f"SELECT * FROM {table}") for v in row]
    assert not any("s3cr3t-value-42" in t for t in texts)
    assert any("${env:PIPEC_TEST_SECRET}" in t for t in texts)


def test_ctrl_c_marks_the_run_interrupted_and_keeps_finished_nodes(tmp_path):
    graph = tmp_path / "g.yaml"
    graph.write_text(
        "nodes:\n"
        "  quick: {op: core.value, params: {value: 1}}\n"
        "  slow: {op: core.sleep, inputs: {value: quick}, params: {seconds: 30, steps: 300}}\n"
    )
    proc = subprocess.Popen([sys.executable, "-m", "pipec.compiler.cli", "run", str(graph)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    db_path = tmp_path / ".pipe" / "store.db"
    deadline = time.time() + 20
    while time.time() < deadline:
        if db_path.exists():
            try:
                rows = sqlite3.connect(db_path).execute("SELECT status FROM node_runs WHERE node='slow'").fetchall()
            except sqlite3.OperationalError:
                rows = []
            if rows and rows[0][0] == "running":
                break
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    db = sqlite3.connect(db_path)
    assert db.execute("SELECT status FROM runs").fetchone()[0] == "interrupted"
    statuses = dict(db.execute("SELECT node, status FROM node_runs"))
    assert statuses == {"quick": "succeeded", "slow": "interrupted"}
    assert db.execute("SELECT COUNT(*) FROM cache_entries").fetchone()[0] == 1


def test_a_killed_run_is_marked_interrupted_by_the_next_run(tmp_path):
    graph = tmp_path / "g.yaml"
    graph.write_text("nodes:\n  slow: {op: core.sleep, params: {seconds: 30, steps: 300}}\n")
    proc = subprocess.Popen([sys.executable, "-m", "pipec.compiler.cli", "run", str(graph), "-q"], cwd=tmp_path)
    db_path = tmp_path / ".pipe" / "store.db"
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            if sqlite3.connect(db_path).execute("SELECT COUNT(*) FROM runs").fetchone()[0]:
                break
        except sqlite3.OperationalError:
            pass
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    pipe("run", graph, "-q", "--set", "slow.seconds=0", cwd=tmp_path)
    statuses = sorted(r[0] for r in sqlite3.connect(db_path).execute("SELECT status FROM runs"))
    assert statuses == ["interrupted", "succeeded"]
