"""Executor shapes, memoization, failure and resume, concurrency."""

from __future__ import annotations

import json
import time

import pytest
from pipec.compiler.compile import compile_text
from pipec.compiler.executor import Executor

from .testops import CALLS, make_registry


def graph_of(nodes: dict, params: dict | None = None, outputs: dict | None = None, overrides=(), base_dir="."):
    import yaml

    text = yaml.safe_dump({"pipeline": "t", "params": params or {}, "nodes": nodes, "outputs": outputs or {}})
    return compile_text(text, "t.yaml", base_dir=base_dir, overrides=overrides, registry=make_registry())


def run(graph, store, **kw):
    return Executor(graph, store, **kw).run()


def counted(add=0, inputs=(), delay=0.0):
    node = {"op": "test.counted", "params": {"add": add, "delay": delay}}
    if inputs:
        node["inputs"] = {"values": list(inputs)}
    return node


@pytest.fixture(autouse=True)
def reset_calls():
    CALLS.clear()


def test_chain(store):
    nodes = {f"n{i}": counted(1, [f"n{i - 1}"] if i else []) for i in range(50)}
    result = run(graph_of(nodes, outputs={"last": "n49"}), store)
    assert result.status == "succeeded"
    assert result.outputs["last"] == 50
    assert sum(CALLS.values()) == 50


def test_diamond_fan_out_fan_in_and_wide_layer(store):
    nodes = {"src": counted(1)}
    nodes.update({f"w{i}": counted(i, ["src"]) for i in range(40)})
    nodes["join"] = counted(0, [f"w{i}" for i in range(40)])
    result = run(graph_of(nodes, outputs={"sum": "join"}), store)
    assert result.outputs["sum"] == sum(1 + i for i in range(40))
    assert all(CALLS[f"w{i}"] == 1 for i in range(40))


def test_second_unchanged_run_executes_nothing(store):
    nodes = {"a": counted(1), "b": counted(2, ["a"]), "c": counted(3, ["b"])}
    first = run(graph_of(nodes, outputs={"c": "c"}), store)
    CALLS.clear()
    second = run(graph_of(nodes, outputs={"c": "c"}), store)
    assert sum(CALLS.values()) == 0
    assert second.outputs == first.outputs == {"c": 6}
    assert all(n.cache_hit for n in second.nodes.values())


def test_downstream_change_reruns_only_that_node(store):
    nodes = {"a": counted(1), "b": counted(2, ["a"]), "c": counted(3, ["b"])}
    run(graph_of(nodes), store)
    CALLS.clear()
    result = run(graph_of(nodes, overrides=["c.add=30"], outputs={"c": "c"}), store)
    assert dict(CALLS) == {"c": 1}
    assert result.outputs["c"] == 33


def test_upstream_change_reruns_it_and_its_dependents(store):
    nodes = {"a": counted(1), "side": counted(5), "b": counted(2, ["a"]), "c": counted(3, ["b", "side"])}
    run(graph_of(nodes), store)
    CALLS.clear()
    result = run(graph_of(nodes, overrides=["a.add=10"], outputs={"c": "c"}), store)
    assert dict(CALLS) == {"a": 1, "b": 1, "c": 1}
    assert result.outputs["c"] == 10 + 2 + 3 + 5


def test_pipeline_param_change_invalidates_nodes_using_it(store):
    nodes = {"a": {"op": "test.counted", "params": {"add": "${k}"}}, "b": counted(1, ["a"]), "z": counted(7)}
    run(graph_of(nodes, params={"k": 1}), store)
    CALLS.clear()
    run(graph_of(nodes, params={"k": 1}, overrides=["k=2"]), store)
    assert dict(CALLS) == {"a": 1, "b": 1}


def test_force_reruns_node_and_downstream(store):
    nodes = {"a": counted(1), "b": counted(2, ["a"]), "c": counted(3, ["b"])}
    run(graph_of(nodes), store)
    CALLS.clear()
    run(graph_of(nodes), store, force=["b"])
    assert dict(CALLS) == {"b": 1, "c": 1}


def test_no_cache_runs_everything(store):
    nodes = {"a": counted(1), "b": counted(2, ["a"])}
    run(graph_of(nodes), store)
    CALLS.clear()
    run(graph_of(nodes), store, use_cache=False)
    assert dict(CALLS) == {"a": 1, "b": 1}


def test_changed_file_content_invalidates_reader(store, tmp_path):
    data = tmp_path / "in.txt"
    data.write_text("one")
    nodes = {"r": {"op": "test.read", "params": {"path": "in.txt"}}}
    assert run(graph_of(nodes, outputs={"t": "r"}, base_dir=tmp_path), store).outputs["t"] == "one"
    data.write_text("two!")
    result = run(graph_of(nodes, outputs={"t": "r"}, base_dir=tmp_path), store)
    assert result.outputs["t"] == "two!" and CALLS["r"] == 2


def test_failure_keeps_completed_results_and_resume_runs_only_the_rest(store):
    nodes = {
        "a": counted(1),
        "bad": {"op": "test.maybe_fail", "inputs": {"value": "a"}, "params": {"fail": True}},
        "after": counted(1, ["bad"]),
        "independent": counted(2, ["a"]),
    }
    result = run(graph_of(nodes), store)
    assert result.status == "failed"
    assert result.nodes["bad"].status == "failed" and "boom on purpose" in result.nodes["bad"].error
    assert "node 'bad' (op test.maybe_fail)" in result.error
    assert result.nodes["after"].status == "skipped"
    assert result.nodes["independent"].status == "succeeded"
    run_row = store.get_run(result.run_id)
    assert run_row["status"] == "failed" and run_row["nodes_failed"] == 1
    CALLS.clear()
    fixed = run(graph_of(nodes, overrides=["bad.fail=false"], outputs={"v": "after"}), store)
    assert fixed.status == "succeeded" and fixed.outputs["v"] == 2
    assert dict(CALLS) == {"bad": 1, "after": 1}


def test_op_returning_wrong_ports_is_reported(store):
    result = run(graph_of({"x": {"op": "test.bad_outputs"}}), store)
    assert result.status == "failed"
    assert "returned ['nope'], expected a dict with outputs ['value']" in result.nodes["x"].error


def test_two_slow_independent_nodes_run_concurrently(store):
    nodes = {"a": counted(1, delay=0.4), "b": counted(2, delay=0.4), "c": counted(0, ["a", "b"])}
    t0 = time.perf_counter()
    result = run(graph_of(nodes), store)
    elapsed = time.perf_counter() - t0
    assert result.status == "succeeded"
    assert elapsed < 0.75, f"two 0.4 s nodes took {elapsed:.2f} s: not concurrent"


def test_metrics_and_items_are_stored_also_on_cache_hit(store):
    nodes = {"a": counted(3), "s": {"op": "test.scores", "inputs": {"value": "a"}}}
    first = run(graph_of(nodes), store)
    second = run(graph_of(nodes), store)
    for result in (first, second):
        assert result.metrics == {"s": {"score": 3.0, "double": 6.0}}
        rows = {(m["name"], m["value"]) for m in store.run_metrics(result.run_id)}
        assert rows == {("score", 3.0), ("double", 6.0)}
    key = second.nodes["s"].key
    assert [r["score"] for r in store.items(key)] == [0, 3, 6]
    nodes_rows = {r["node"]: r for r in store.node_runs(second.run_id)}
    assert nodes_rows["s"]["status"] == "cached" and nodes_rows["s"]["output_preview"].startswith("metrics:")


def test_without_store_nothing_is_memoized():
    nodes = {"a": counted(1)}
    Executor(graph_of(nodes), None).run()
    Executor(graph_of(nodes), None).run()
    assert CALLS["a"] == 2


def test_a_relative_path_is_beside_the_yaml_file_else_relative_to_the_current_directory(store, tmp_path,
                                                                                        monkeypatch):
    """So `--set data_dir=../shared/data/x` typed from the repository root means what the shell user sees."""
    yaml_dir, cwd = tmp_path / "examples", tmp_path / "repo"
    yaml_dir.mkdir(), cwd.mkdir()
    monkeypatch.chdir(cwd)
    (cwd / "only_here.txt").write_text("from the cwd")
    (cwd / "both.txt").write_text("cwd copy")
    (yaml_dir / "both.txt").write_text("beside the yaml")
    nodes = {"a": {"op": "test.read", "params": {"path": "only_here.txt"}},
             "b": {"op": "test.read", "params": {"path": "both.txt"}}}
    result = run(graph_of(nodes, outputs={"a": "a", "b": "b"}, base_dir=yaml_dir), store)
    assert result.outputs == {"a": "from the cwd", "b": "beside the yaml"}


def test_metrics_are_in_declaration_order_not_in_finishing_order(store):
    """Concurrent nodes finish in any order; the run's metrics (stored, --json, TUI) must not depend on it."""
    nodes = {"slow": counted(1, delay=0.3), "fast": counted(2),
             "first": {"op": "test.scores", "inputs": {"value": "slow"}},
             "second": {"op": "test.scores", "inputs": {"value": "fast"}}}
    result = run(graph_of(nodes), store)
    assert list(result.metrics) == ["first", "second"]
    stored = store.query("SELECT metrics_json FROM runs WHERE id=?", (result.run_id,))[0]["metrics_json"]
    assert list(json.loads(stored)) == ["first", "second"]


def test_a_path_spelled_differently_gives_the_same_node_key(tmp_path):
    from pipec.compiler.api import compile_text
    from pipec.compiler.context import Runtime
    from pipec.compiler.executor import compute_keys

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("a document")
    keys = []
    for spelling in ("data", "./data", "data/", str(tmp_path / "data")):
        graph = compile_text(f"nodes:\n  docs: {{op: load.folder, params: {{path: '{spelling}'}}}}\n",
                             base_dir=tmp_path)
        keys.append(compute_keys(graph, Runtime("r", tmp_path, None, graph.spec.settings))["docs"])
    assert len(set(keys)) == 1
    (tmp_path / "data" / "a.txt").write_text("another text")
    graph = compile_text("nodes:\n  docs: {op: load.folder, params: {path: data}}\n", base_dir=tmp_path)
    assert compute_keys(graph, Runtime("r", tmp_path, None, graph.spec.settings))["docs"] != keys[0]
