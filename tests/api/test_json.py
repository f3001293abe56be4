"""`--json` on every command prints one JSON document of real objects: no JSON strings inside JSON, full ids."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
QUICK = REPO / "examples" / "quickstart.yaml"
SERVE = REPO / "examples" / "rag" / "serve.yaml"


def pipe(*args: str, cwd: Path, code: int | None = 0) -> object:
    done = subprocess.run([sys.executable, "-m", "pipec.compiler.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)
    assert code is None or done.returncode == code, done.stderr
    doc = json.loads(done.stdout)  # exactly one document
    assert_no_json_text(doc)
    return doc


def assert_no_json_text(value: object, where: str = "$") -> None:
    """No string value is itself a JSON object or list (the 'JSON inside JSON' of the old --json)."""
    if isinstance(value, dict):
        for k, v in value.items():
            assert not str(k).endswith("_json"), f"{where}.{k}: a *_json text column"
            assert_no_json_text(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            assert_no_json_text(v, f"{where}[{i}]")
    elif isinstance(value, str) and value[:1] in "{[" and value[-1:] in "}]":
        try:
            json.loads(value)
        except json.JSONDecodeError:
            return
        raise AssertionError(f"{where}: JSON text inside JSON: {value[:60]}")


@pytest.mark.slow
def test_every_command_prints_one_json_document(tmp_path):
    store = ["--store", str(tmp_path / "st")]
    run = pipe("run", str(QUICK), "--set", "delay=0", "--json", "-q", *store, cwd=tmp_path)
    assert run["status"] == "succeeded" and run["outputs"] == {"total": 5}
    run_id = run["run_id"]
    request = pipe("run", str(SERVE), "--set", "embedder=hashing", "--input", "question=Which library provides BM25?",
                   "--json", "-q", *store, cwd=tmp_path)
    assert request["outputs"]["answers"][0]["qid"] == "q0"

    runs = pipe("runs", "--json", *store, cwd=tmp_path)
    assert {r["id"] for r in runs} >= {run_id, request["run_id"]}  # full ids, stdout not a terminal
    mine = next(r for r in runs if r["id"] == run_id)
    assert mine["config"]["pipeline"] == "quickstart" and mine["outputs"] == {"total": 5}
    show = pipe("show", run_id, "--json", *store, cwd=tmp_path)
    assert show["run"]["id"] == run_id and {n["node"] for n in show["nodes"]} == {"start", "left", "right", "total"}
    assert isinstance(show["nodes"][0]["params"], dict)

    ok = pipe("validate", str(SERVE), "--json", cwd=tmp_path)
    assert ok["ok"] and ok["inputs"] == {"question": "Question"} and ok["diagnostics"] == []
    bad = tmp_path / "bad.yaml"
    bad.write_text("inputs:\n  q: {type: Text}\nnodes:\n  a: {op: core.valeu}\n")
    failed = pipe("validate", str(bad), "--json", cwd=tmp_path, code=2)
    assert not failed["ok"]
    by_code = {d["code"]: d for d in failed["diagnostics"]}
    assert set(by_code) == {"unknown-op", "unused-input"}
    assert by_code["unknown-op"]["file"] == str(bad) and by_code["unknown-op"]["line"] == 4
    assert by_code["unknown-op"]["column"] >= 1 and "core.value" in by_code["unknown-op"]["hint"]
    assert by_code["unused-input"]["line"] == 2

    graph = pipe("graph", str(SERVE), "--json", "--run", request["run_id"], *store, cwd=tmp_path)
    parts = {n["name"]: n["part"] for n in graph["nodes"]}
    assert parts["index"] == "static" and parts["retrieve"] == "request"
    assert {n["name"]: n["run"]["status"] for n in graph["nodes"]}["retrieve"] == "succeeded"

    ops = pipe("ops", "retrieve", "--json", cwd=tmp_path)
    assert ops[0]["name"] == "retrieve"
    export = pipe("export", str(QUICK), "--set", "x=3", "--json", cwd=tmp_path)
    assert export["overrides"] == ["x=3"] and "x: 3" in export["yaml"]
    tune = pipe("tune", str(REPO / "examples" / "rag" / "tune.yaml"), "--set", "embedder=hashing", "--trials", "1",
                "--json", "-q", *store, cwd=tmp_path, code=None)  # 1 when the trial failed: still one document
    assert len(tune["trials"]) == 1 and "state" in tune["trials"][0]
