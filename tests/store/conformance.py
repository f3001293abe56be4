"""The storage conformance suite: what any implementation of `StorageBase` must do (in the style of Optuna's
storage tests). A second backend adds a factory to IMPLEMENTATIONS (or runs these tests with its own `backend`
fixture) and passes the same tests. test_conformance.py runs them against the SQLite store."""

from __future__ import annotations

import numpy as np
import pytest
from pipec.compiler.store import CachedResponse, LLMCall, StorageBase, Store


def sqlite_backend(tmp_path):
    return Store(tmp_path / "store")


IMPLEMENTATIONS = {"sqlite": sqlite_backend}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def backend(request, tmp_path):
    store = IMPLEMENTATIONS[request.param](tmp_path)
    assert isinstance(store, StorageBase)
    yield store
    store.close()


def _run(backend, run_id="r1", nodes=("a", "b")):
    backend.create_run(run_id, "g", "g.yaml", {"x": 1}, len(nodes))
    backend.add_nodes(run_id, [(n, "core.value", "1", f"key-{run_id}-{n}", "{}", False) for n in nodes])


# --- runs and nodes ----------------------------------------------------------------------------------------------

def test_a_run_is_created_listed_and_finished(backend):
    _run(backend)
    run = backend.get_run("r1")
    assert run.status == "running" and run.nodes_total == 2 and run.config_json == '{"x": 1}'
    backend.finish_run("r1", "succeeded", nodes_cached=1, metrics={"eval": {"f1": 0.5}}, outputs={"y": 2})
    run = backend.get_run("r1")
    assert run.status == "succeeded" and run.nodes_cached == 1 and run.duration_s >= 0
    assert '"f1": 0.5' in run.metrics_json and [r.id for r in backend.list_runs()] == ["r1"]


def test_run_ids_resolve_by_unique_prefix(backend):
    _run(backend, "abc1")
    _run(backend, "abd2")
    assert backend.get_run("abc").id == "abc1" and backend.get_run("zzz") is None
    with pytest.raises(Exception, match="ambiguous"):
        backend.get_run("ab")


def test_node_updates_are_durable_after_flush(backend):
    _run(backend)
    backend.update_node("r1", "a", status="running", started_at=1.0)
    backend.update_node("r1", "a", status="succeeded", duration_s=0.5, output_preview="3")
    backend.flush()
    nodes = {n.node: n for n in backend.node_runs("r1")}
    assert nodes["a"].status == "succeeded" and nodes["a"].started_at == 1.0 and nodes["a"].output_preview == "3"
    assert nodes["b"].status == "pending" and backend.node_cache_key("r1", "b") == "key-r1-b"


def test_metrics_are_recorded_per_node_and_port(backend):
    _run(backend)
    backend.record_metrics("r1", "a", "metrics", {"f1": 0.25, "n": 3, "flag": True, "name": "x"})
    backend.flush()
    assert {(m.node, m.name, m.value) for m in backend.run_metrics("r1")} == {("a", "f1", 0.25), ("a", "n", 3.0)}


def test_dead_runs_are_reaped(backend):
    _run(backend)
    backend.update_node("r1", "a", status="running")
    backend.flush()
    assert backend.reap_dead_runs() == 0  # this process is alive
    if hasattr(backend, "execute"):  # a run of a process that ended: the pid column is SQLite's detail
        backend.execute("UPDATE runs SET pid=? WHERE id='r1'", (2 ** 22 + 12345,))
        assert backend.reap_dead_runs() == 1 and backend.get_run("r1").status == "interrupted"


# --- memoized results and items ------------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [10, 400_000])  # inline and as an artifact
def test_results_round_trip(backend, size):
    _run(backend)
    value = {"out": "x" * size, "n": [1, 2]}
    backend.save_result("key-1", "core.value", "a", value, "preview", items=[(0, "q1", '{"f1": 1.0}')])
    assert backend.cached_keys(["key-1", "nope"]) == {"key-1"}  # visible before a flush
    assert backend.load_result("key-1") == value
    backend.flush()
    assert backend.load_result("key-1") == value and backend.items("key-1") == [
        {"idx": 0, "item_id": "q1", "f1": 1.0}]
    with pytest.raises(KeyError):
        backend.load_result("missing")
    assert backend.clear_cache() == 1 and backend.cached_keys(["key-1"]) == set()


def test_cache_hits_give_the_preview_and_size_that_cached_node_rows_show(backend):
    size = backend.save_result("key-s", "core.value", "a", {"value": 1}, "value: 1")
    hits = backend.cache_hits(["key-s", "nope"])  # visible before a flush, then from the database
    backend.flush()
    assert hits == backend.cache_hits(["key-s", "nope"]) and set(hits) == {"key-s"}
    assert (hits["key-s"].preview, hits["key-s"].size_bytes) == ("value: 1", size)
    rows = [("a", "core.value", "1", "key-s", "{}", True), ("b", "core.value", "1", "key-b", "{}", False)]
    backend.create_run("r1", "g", "g.yaml", {}, 2)
    backend.add_nodes("r1", rows, hits=hits)
    backend.create_run("r2", "g", "g.yaml", {}, 2)
    backend.add_nodes("r2", rows)  # without hits: the store reads them itself
    for run_id in ("r1", "r2"):
        a, b = backend.node_runs(run_id)
        assert (a.status, a.cache_hit, a.output_preview, a.output_size) == ("cached", 1, "value: 1", size)
        assert (b.status, b.cache_hit, b.output_preview, b.output_size) == ("pending", 0, None, None)


def test_secrets_never_reach_the_store(backend):
    backend.add_secrets({"sk-very-secret-123": "${API_KEY}"})
    backend.create_run("r1", "g", "g.yaml", {"key": "sk-very-secret-123"}, 0)
    backend.log_llm_call(LLMCall("fake/m", "h", [{"role": "user", "content": "use sk-very-secret-123"}],
                                 run_id="r1", response="sk-very-secret-123"))
    assert "sk-very-secret-123" not in backend.get_run("r1").config_json
    call = backend.llm_calls("r1")[0]
    assert "sk-very-secret-123" not in call.messages_json + call.response


# --- LLM calls and caches ------------------------------------------------------------------------------------------

def test_llm_calls_are_logged_and_responses_cached(backend):
    backend.log_llm_call(LLMCall("fake/m", "h1", [{"role": "user", "content": "hi"}], run_id="r1", node="n",
                                 item="q1", response="hello", prompt_tokens=3, cost_usd=None, latency_s=0.1))
    backend.log_llm_call(LLMCall("fake/m", "h1", "hi", run_id="r1", node="n", cache_hit=True))
    calls = backend.llm_calls(run_id="r1")
    assert [c.cache_hit for c in calls] == [0, 1] and calls[0].item == "q1" and calls[0].cost_usd is None
    assert backend.get_llm_response("h1") is None
    backend.put_llm_response("h1", CachedResponse("fake/m", "hello", 3, 1, 0.002))
    assert backend.get_llm_response("h1") == CachedResponse("fake/m", "hello", 3, 1, 0.002)


def test_embeddings_are_stored_once_per_model_and_key(backend):
    v = np.arange(4, dtype=np.float32)
    backend.put_embeddings("m", {"k1": v})
    backend.put_embeddings("m", {"k1": v * 2, "k2": v + 1})  # a stored key keeps its vector
    got = backend.get_embeddings("m", ["k1", "k2", "k3"])
    assert set(got) == {"k1", "k2"} and np.array_equal(got["k1"], v) and got["k2"].dtype == np.float32
    assert backend.get_embeddings("other", ["k1"]) == {}


# --- studies ---------------------------------------------------------------------------------------------------------

def test_a_study_records_trials_and_proposals(backend):
    sid = backend.create_study("s", "g", "g.yaml", "grid", {"metric": "m"}, {"x": {}}, {"seed": 1})
    assert backend.find_study("s").id == sid and backend.find_study("t") is None
    _run(backend, "t0")
    backend.start_trial(sid, 1, {"x": 1}, "h1", None, "t0", "grid")
    backend.finish_trial(sid, 1, "complete", value=0.5, metrics={"e": {"m": 0.5}}, cost_usd=0.1, llm_calls=2)
    backend.finish_trial(sid, 1, "failed")  # a finished trial is immutable
    backend.add_proposal(sid, "rejected", "bad", "reply", None, None)
    [trial] = backend.trials(sid)
    assert trial.state == "complete" and trial.value == 0.5 and trial.note == "grid"
    assert [p.outcome for p in backend.proposals(sid)] == ["rejected"]
    [summary] = backend.list_studies()
    assert summary.trials == 1 and summary.complete == 1 and summary.best_max == 0.5
    backend.set_study_status(sid, "finished", {"seed": 1, "stop_reason": "trials"})
    assert backend.find_study("s").status == "finished"


def test_trials_of_a_dead_process_are_reaped(backend):
    sid = backend.create_study("s", "g", "g.yaml", "grid", {}, {}, {})
    backend.start_trial(sid, 1, {}, "h", None, "no-such-run", "")
    assert backend.reap_trials(sid) == 1 and backend.trials(sid)[0].error.startswith("interrupted")
