"""Faults of an OpenAI-compatible server cost only the failing items, are never stored as answers, and a
healed re-run re-sends the failed items only. Through the real litellm path (`openai/...` with `api_base`)."""

from __future__ import annotations

import pytest
from fault_graphs import compile_graph, fault_graph
from fault_server import TRANSIENT
from pipec.compiler.api import run_graph

pytestmark = pytest.mark.xdist_group("faults")

ITEM_MODES = ["429", "500", "502", "hang", "drop", "malformed", "html", "nofields", "empty", "400", "404"]
RETRIED = {"429", "500", "502", "hang", "drop", "malformed", "html", "nofields", "empty"}


def answers(result) -> dict[str, str | None]:
    return {t["id"]: t["text"] for t in result.outputs["out"]}


def cached_texts(store) -> list[str]:
    import json

    return [json.loads(r["response_json"])["text"] for r in store.query("SELECT response_json FROM llm_cache")]


@pytest.mark.parametrize("mode", ITEM_MODES)
def test_a_fault_on_one_item_costs_that_item_only_and_heals(mode, server, marker_key, store, tmp_path):
    server.faults = {"item q3": mode}
    text = fault_graph(server.url, n=5, settings=", max_item_errors: 1")
    result = run_graph(compile_graph(text, tmp_path), store)
    node = result.nodes["ask"]
    assert result.status == "succeeded" and node.status == "succeeded", result.error
    assert list(node.item_errors) == ["q3"]
    got = answers(result)
    assert got["q3"] is None and all(got[f"q{i}"] == f"answer: q{i}" for i in (1, 2, 4, 5))
    assert len(server.sent("item q3")) == (3 if mode in RETRIED else 1)  # retries: 2; 400/404 not retried
    assert not store.cached_keys([node.key])  # never a memoized answer
    assert all(t.startswith("answer: ") for t in cached_texts(store))  # no empty or garbled reply cached
    assert "item q3" in node.warnings[-1] or "q3" in node.warnings[-1]

    server.heal()
    server.reset()
    healed = run_graph(compile_graph(text, tmp_path), store)
    assert healed.status == "succeeded" and not healed.nodes["ask"].item_errors
    assert answers(healed)["q3"] == "answer: q3"
    assert [r["prompt"] for r in server.sent()] == ["Answer item q3"]  # only the failed item is re-sent
    assert store.cached_keys([healed.nodes["ask"].key])  # now memoized
    server.reset()
    third = run_graph(compile_graph(text, tmp_path), store)
    assert third.nodes["ask"].cache_hit and not server.sent()


@pytest.mark.parametrize("mode", ["401", "403"])
def test_a_refused_key_stops_the_node_at_once(mode, server, marker_key, store, tmp_path):
    server.faults = {"item": mode}
    result = run_graph(compile_graph(fault_graph(server.url, n=6), tmp_path), store)
    assert result.status == "failed" and result.nodes["ask"].status == "failed"
    assert "authentication failed" in result.nodes["ask"].error
    assert len(server.sent()) <= 6  # not retried; the other items are cancelled
    assert marker_key not in result.error and "${env:PIPEC_FAULT_KEY}" in result.error  # redacted


def test_more_item_errors_than_allowed_fail_the_node(server, marker_key, store, tmp_path):
    server.faults = {"item q2": "500", "item q4": "500"}
    result = run_graph(compile_graph(fault_graph(server.url, n=10), tmp_path), store)  # default 10%: 1 of 10
    assert result.status == "failed"
    assert "items failed, more than settings.llm.max_item_errors (10%) allows" in result.nodes["ask"].error
    server.faults = {"item q2": "500"}
    ok = run_graph(compile_graph(fault_graph(server.url, n=10), tmp_path), store)
    assert ok.status == "succeeded" and list(ok.nodes["ask"].item_errors) == ["q2"]


@pytest.mark.parametrize("mode", ["badjson", "empty", "malformed"])
def test_schema_invalid_replies_are_reasked_then_item_errors(mode, server, marker_key, store, tmp_path):
    server.faults = {"item q2": mode}
    text = fault_graph(server.url, n=4, op="llm.extract", settings=", max_item_errors: 1")
    result = run_graph(compile_graph(text, tmp_path), store)
    assert result.status == "succeeded", result.error
    records = {r["id"]: r for r in result.outputs["out"]}
    assert records["q2"]["city"] is None and records["q2"]["error"]
    assert records["q1"]["city"] == "city-q1" and records["q1"]["error"] is None
    assert len(server.sent("item q2")) == 3  # re-asked (with the repair message) within retries: 2
    if mode == "badjson":
        assert "not valid" in server.sent("item q2")[-1]["prompt"]  # the corrective re-ask
    assert all("city-" in t for t in cached_texts(store))  # the invalid replies are not cached
    server.heal()
    server.reset()
    healed = run_graph(compile_graph(text, tmp_path), store)
    assert {r["id"]: r["city"] for r in healed.outputs["out"]}["q2"] == "city-q2"
    assert len(server.sent()) == 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_seeded_30_percent_fault_rate_stores_no_bad_answer_and_heals(seed, server, marker_key, store,
                                                                     tmp_path):
    server.rate, server.seed, server.random_modes = 0.3, seed, TRANSIENT
    text = fault_graph(server.url, n=28, settings=", max_item_errors: 0.5, concurrency: 8")
    result = run_graph(compile_graph(text, tmp_path), store)
    assert result.status == "succeeded", result.error
    got, failed = answers(result), set(result.nodes["ask"].item_errors)
    assert all(got[i] == f"answer: {i}" for i in got if i not in failed)  # every kept answer is right
    assert all(got[i] is None for i in failed)
    assert all(t.startswith("answer: ") for t in cached_texts(store))
    server.heal()
    server.reset()
    healed = run_graph(compile_graph(text, tmp_path), store)
    assert all(text == f"answer: {i}" for i, text in answers(healed).items())
    assert sorted(r["prompt"] for r in server.sent()) == sorted(f"Answer item {i}" for i in failed)


def pipe(tmp_path, *args: str, timeout: float = 120, **env: str):
    import os
    import subprocess
    import sys

    full_env = {**os.environ, **env}
    return subprocess.run([sys.executable, "-m", "pipec.compiler.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env, cwd=tmp_path)


def test_a_node_failing_with_requests_in_flight_caches_their_replies(server, marker_key, tmp_path):
    server.faults = {"item q1": "401", "item": "slow"}
    server.slow_s = 0.6
    # a long timeout: litellm's first request in a fresh process is slow on a loaded machine
    (tmp_path / "g.yaml").write_text(fault_graph(server.url, n=8).replace("timeout: 1.0", "timeout: 10.0"))
    store = str(tmp_path / "store")
    failed = pipe(tmp_path, "run", "g.yaml", "--store", store, "-q")
    assert failed.returncode == 1, failed.stderr
    assert "authentication failed" in failed.stderr
    assert "Task exception was never retrieved" not in failed.stderr and "Traceback" not in failed.stderr
    assert marker_key not in failed.stderr + failed.stdout
    from pipec.compiler.store import Store

    s = Store(store)
    assert s.query("SELECT COUNT(*) AS n FROM llm_cache")[0]["n"] == 7  # the 7 replies in flight, kept
    s.close()
    server.heal()
    server.reset()
    healed = pipe(tmp_path, "run", "g.yaml", "--store", store, "-q")
    assert healed.returncode == 0, healed.stderr
    assert [r["prompt"] for r in server.sent()] == ["Answer item q1"]
