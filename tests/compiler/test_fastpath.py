"""The start-up fast path (compiler/startup): a command replayed from its plan does what the slow path does.

Each command runs in a fresh process (as `pipe` does); `sys.modules` tells whether it compiled (pydantic) or was
replayed. The racy-timestamp window is set to 0 inside those processes, because the tests write their graph
files a moment before running them; every edit below changes the file's size, so it is seen regardless."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pipec.compiler.startup import deps

REPO = Path(__file__).resolve().parents[2]

CODE = """import contextlib, io, json, sys
import pipec.compiler.startup.deps as deps
deps.RACY_S = 0.0
from pipec.compiler.cli import main
out, err = io.StringIO(), io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    rc = main(json.loads(sys.argv[1]))
print(json.dumps({"rc": rc, "compiled": "pydantic" in sys.modules, "stdout": out.getvalue(),
                  "stderr": err.getvalue()}))
"""

GRAPH = """pipeline: fast
params: {x: 2}
nodes:
  start: {op: core.value, params: {value: "${x}"}}
  left: {op: core.sleep, inputs: {value: start}, params: {seconds: 0}}
  total: {op: core.add, inputs: {values: [left, start]}, params: {add: 1}}
outputs:
  total: total.value
"""


def pipe(args: list[str], cwd: Path, **env: str) -> dict:
    environ = {**os.environ, "PIPEC_CACHE_DIR": str(cwd / "cache"), **env}
    environ.pop("PIPEC_NO_PLAN_CACHE", None)
    environ.update(env)
    proc = subprocess.run([sys.executable, "-c", CODE, json.dumps(args)], capture_output=True, text=True,
                          env=environ, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def graph(tmp_path) -> Path:
    path = tmp_path / "g.yaml"
    path.write_text(GRAPH)
    return path


def test_validate_is_replayed_without_compiling(graph, tmp_path):
    first = pipe(["validate", str(graph)], tmp_path)
    second = pipe(["validate", str(graph)], tmp_path)
    assert first["compiled"] and not second["compiled"]
    assert (second["rc"], second["stdout"], second["stderr"]) == (first["rc"], first["stdout"], first["stderr"])
    assert "ok (3 nodes" in second["stderr"]


def test_an_edited_graph_is_compiled_again(graph, tmp_path):
    pipe(["validate", str(graph)], tmp_path)
    graph.write_text(GRAPH.replace("outputs:", "  extra: {op: core.value, params: {value: 1}}\noutputs:"))
    again = pipe(["validate", str(graph)], tmp_path)
    assert again["compiled"] and "ok (4 nodes" in again["stderr"]
    graph.write_text(GRAPH.replace("core.add", "core.nope"))
    broken = pipe(["validate", str(graph)], tmp_path)
    assert broken["rc"] == 2 and "core.nope" in broken["stderr"]
    assert pipe(["validate", str(graph)], tmp_path)["compiled"]  # a failure is never replayed


def test_the_op_index_written_by_the_first_command_is_not_a_dependency(graph, tmp_path):
    # With PYDANTIC_DISABLE_PLUGINS already set, the CLI reads (and here writes) the op index only while the
    # command is recorded: pipec's own cache file must not make the next identical command stale.
    first = pipe(["validate", str(graph)], tmp_path, PYDANTIC_DISABLE_PLUGINS="__all__")
    second = pipe(["validate", str(graph)], tmp_path, PYDANTIC_DISABLE_PLUGINS="__all__")
    assert first["compiled"] and not second["compiled"]


def test_another_environment_or_argument_is_another_command(graph, tmp_path):
    pipe(["validate", str(graph)], tmp_path)
    assert pipe(["validate", str(graph)], tmp_path, PIPEC_SOMETHING="1")["compiled"]
    assert pipe(["validate", str(graph), "--set", "x=3"], tmp_path)["compiled"]
    assert pipe(["validate", str(graph)], tmp_path, PIPEC_NO_PLAN_CACHE="1")["compiled"]


def stored_run(store_path: Path, run_id: str) -> dict:
    from pipec.compiler.store import Store

    store = Store(store_path)
    try:
        run = store.get_run(run_id)
        nodes = [(n.node, n.op, n.op_version, n.cache_key, n.status, n.cache_hit, n.params_json, n.output_preview,
                  n.output_size, n.duration_s, n.error) for n in store.node_runs(run_id)]
        metrics = sorted((m.node, m.port, m.name, m.value) for m in store.run_metrics(run_id))
    finally:
        store.close()
    return {"graph": (run.graph_name, run.graph_file), "status": run.status, "config": run.config_json,
            "totals": (run.nodes_total, run.nodes_cached, run.nodes_failed, run.llm_calls, run.cost_usd),
            "metrics_json": run.metrics_json, "outputs_json": run.outputs_json, "nodes": nodes, "metrics": metrics}


def run_json(graph: Path, tmp_path: Path, **env: str) -> tuple[dict, dict]:
    out = pipe(["run", "-q", "--json", str(graph), "--store", str(tmp_path / "store")], tmp_path, **env)
    assert out["rc"] == 0, out["stderr"]
    return out, json.loads(out["stdout"])


def comparable(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in ("run_id", "duration_s")}


@pytest.mark.parametrize("example", ["quickstart", "rag"])
def test_a_replayed_run_is_recorded_and_reported_as_the_slow_path_records_a_cached_run(example, tmp_path):
    if example == "rag":
        shutil.copytree(REPO / "examples" / "rag" / "data", tmp_path / "data")
        graph = tmp_path / "offline.yaml"
        graph.write_text((REPO / "examples" / "rag" / "offline.yaml").read_text().replace(
            "embedder: minilm ", "embedder: hashing"))
    else:
        graph = tmp_path / "g.yaml"
        graph.write_text(GRAPH)
    cold, _ = run_json(graph, tmp_path)
    slow, slow_json = run_json(graph, tmp_path, PIPEC_NO_PLAN_CACHE="1")
    fast, fast_json = run_json(graph, tmp_path)
    assert cold["compiled"] and slow["compiled"] and not fast["compiled"]
    assert comparable(fast_json) == comparable(slow_json)
    assert fast_json["status"] == "succeeded" and all(n["cache_hit"] for n in fast_json["nodes"].values())
    if example == "rag":
        assert fast_json["metrics"], "the rag example reports metrics"
    assert stored_run(tmp_path / "store", fast_json["run_id"]) == stored_run(tmp_path / "store",
                                                                             slow_json["run_id"])


def without_times(log: str) -> str:
    log = re.sub(r"\[ *[0-9.]+s\] ", "", log)
    return re.sub(r"run [0-9]{8}-[0-9]{6}-[0-9a-f]{6} (\w+) in [0-9.]+s", r"run ID \1 in T", log)


def test_the_summary_of_a_replayed_run_is_the_slow_paths(graph, tmp_path):
    args = ["run", str(graph), "--store", str(tmp_path / "store")]
    pipe(args, tmp_path)
    slow = pipe(args, tmp_path, PIPEC_NO_PLAN_CACHE="1")
    fast = pipe(args, tmp_path)
    assert not fast["compiled"] and fast["stdout"] == slow["stdout"] == "total: 5.0\n"
    assert without_times(fast["stderr"]) == without_times(slow["stderr"])
    assert "3/3 nodes cached" in fast["stderr"]


def test_a_lost_result_sends_the_run_down_the_slow_path(graph, tmp_path):
    from pipec.compiler.store import Store

    run_json(graph, tmp_path)
    store = Store(tmp_path / "store")
    store.clear_cache()
    store.close()
    out, result = run_json(graph, tmp_path)
    assert out["compiled"] and result["status"] == "succeeded"
    assert not any(n["cache_hit"] for n in result["nodes"].values())
    assert not run_json(graph, tmp_path)[0]["compiled"]  # the new results are replayed again


def test_a_changed_data_file_is_keyed_again(tmp_path):
    shutil.copytree(REPO / "examples" / "rag" / "data", tmp_path / "data")
    graph = tmp_path / "offline.yaml"
    graph.write_text((REPO / "examples" / "rag" / "offline.yaml").read_text().replace(
        "embedder: minilm ", "embedder: hashing"))
    _, first = run_json(graph, tmp_path)
    doc = sorted((tmp_path / "data" / "docs").iterdir())[0]
    doc.write_text(doc.read_text() + "\nOne more sentence about nothing in particular.\n")
    out, second = run_json(graph, tmp_path)
    assert out["compiled"], "a data file the keys hash changed: the plan's keys are stale"
    assert not second["nodes"]["data"]["cache_hit"]
    assert second["nodes"]["embedder"]["cache_hit"]


@pytest.mark.parametrize("damage", ["not json", "[]", '{"format": 1, "paths": 3}', "payload"])
def test_a_damaged_plan_file_is_a_slow_run_not_an_error(damage, graph, tmp_path):
    first, _ = run_json(graph, tmp_path)
    (plan,) = (tmp_path / "cache" / "plans").glob("*.json")
    if damage == "payload":
        entry = json.loads(plan.read_text())
        entry["payload"]["outputs"] = {"total": "nonsense"}
        plan.write_text(json.dumps(entry))
    else:
        plan.write_text(damage)
    out, result = run_json(graph, tmp_path)
    assert out["compiled"] and result["status"] == "succeeded"


def test_an_op_that_is_not_replayable_keeps_its_graph_on_the_slow_path(tmp_path, monkeypatch):
    from pipec.compiler.compile import compile_text
    from pipec.compiler.executor import Executor
    from pipec.compiler.startup.replay import run_payload
    from pipec.compiler.store import Store

    graph = compile_text(GRAPH, str(tmp_path / "g.yaml"))
    store = Store(tmp_path / "store")
    result = Executor(graph, store).run()
    store.close()
    assert run_payload(graph, result) is not None
    monkeypatch.setattr(graph.nodes["left"].op_cls, "replayable", False)
    assert run_payload(graph, result) is None


def test_a_recording_sees_files_opened_and_folders_listed_but_not_files_written(tmp_path):
    (tmp_path / "read.txt").write_text("x")
    (tmp_path / "folder").mkdir()
    recording = deps.start()
    try:
        (tmp_path / "read.txt").read_text()
        os.listdir(tmp_path / "folder")
        (tmp_path / "written.txt").write_text("y")
        deps.note(tmp_path / "absent")
    finally:
        assert deps.stop() is recording
    paths = recording.paths
    assert str(tmp_path / "read.txt") in paths and str(tmp_path / "folder") in paths
    assert str(tmp_path / "written.txt") not in paths
    assert paths[str(tmp_path / "absent")] is None
    assert deps.unchanged(paths)
    (tmp_path / "absent").write_text("now here")
    assert not deps.unchanged(paths)


def test_a_recording_with_a_fresh_file_is_not_trusted(tmp_path):
    (tmp_path / "new.txt").write_text("x")
    recording = deps.Recording()
    recording.note(tmp_path / "new.txt")
    assert not recording.stable()
    assert recording.stable(now=os.stat(tmp_path / "new.txt").st_ctime + deps.RACY_S + 1)
