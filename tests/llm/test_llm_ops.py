"""llm.generate and llm.extract through the real compiler and executor, and `pipe run` end to end:
per-item rows and errors, node-level cache: false, budget stop, one-line errors, secret redaction."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pipec.compiler.api import compile_text, run_graph
from pipec.compiler.llm.fake import fake_script

QUESTIONS = [{"id": "q1", "question": "capital of France?"}, {"id": "q2", "question": "capital of Peru?"},
             {"id": "q3", "question": "capital of Chad?"}]


def graph(tmp_path, node: str, settings: str = "", extra_nodes: str = "", value=None):
    text = (f"pipeline: t\n{settings}nodes:\n  qs:\n    op: core.value\n    params: {{value: "
            f"{json.dumps(value if value is not None else QUESTIONS)}}}\n{node}{extra_nodes}")
    return compile_text(text, str(tmp_path / "g.yaml"), tmp_path)


GENERATE = """\
  gen:
    op: llm.generate
    inputs: {items: qs}
    params: {model: fake/x, prompt: "Q{{ index }}: {{ item.question }}", system: "Be {{ tone }}.",
             vars: {tone: brief}}
"""


OUTPUTS = "outputs:\n  texts: gen.texts\n  answers: gen.answers\n"


def test_generate_texts_metrics_items_and_log(tmp_path, store):
    settings = "settings:\n  llm: {max_item_errors: 1}\n"
    with fake_script({"France": "Paris", "Peru": "Lima"}, failures=[{"error": "context_window", "match": "Chad"}]):
        result = run_graph(graph(tmp_path, GENERATE, settings, OUTPUTS), store)
    assert result.status == "succeeded"
    texts = result.outputs["texts"]
    assert [t["text"] for t in texts] == ["Paris", "Lima", None]
    assert "refused the request" in texts[2]["error"] and [t["id"] for t in texts] == ["q1", "q2", "q3"]
    answers = result.outputs["answers"]
    assert [(a.qid, a.text, a.error is None) for a in answers] == [("q1", "Paris", True), ("q2", "Lima", True),
                                                                  ("q3", "", False)]
    assert result.metrics["gen"]["errors"] == 1 and result.metrics["gen"]["llm_calls"] == 2  # answered ones
    assert result.llm_calls == 3  # the run's total counts every request sent, the refused one too
    assert list(result.nodes["gen"].item_errors) == ["q3"]
    assert not store.cached_keys([result.nodes["gen"].key])  # an item error is never a memoized answer
    rows = store.query("SELECT node, item FROM llm_calls WHERE run_id=? ORDER BY item", (result.run_id,))
    assert rows == [{"node": "gen", "item": "q1"}, {"node": "gen", "item": "q2"}, {"node": "gen", "item": "q3"}]
    with fake_script({"France": "Paris", "Peru": "Lima", "Chad": "N'Djamena"}) as healed:
        again = run_graph(graph(tmp_path, GENERATE, settings, OUTPUTS), store)
    assert [t["text"] for t in again.outputs["texts"]] == ["Paris", "Lima", "N'Djamena"]
    assert len(healed.calls) == 1 and again.llm_calls == 1  # only the failed item is sent again
    items = store.items(again.nodes["gen"].key)
    assert items[0]["prompt"] == "[system] Be brief.\n\n[user] Q0: capital of France?"
    assert items[0]["text"] == "Paris" and items[2]["text"] == "N'Djamena"


def test_item_errors_over_the_limit_fail_the_node(tmp_path, store):
    with fake_script({"France": "Paris", "Peru": "Lima"}, failures=[{"error": "context_window", "match": "Chad"}]):
        result = run_graph(graph(tmp_path, GENERATE), store)  # default 10%: 1 of 3 is too many
    assert result.status == "failed" and result.nodes["gen"].status == "failed"
    assert "1 of 3 items failed, more than settings.llm.max_item_errors (10%) allows" in result.nodes["gen"].error


def run_outputs(store, result, node):
    return store.load_result(result.nodes[node].key)


def test_rerun_is_memoized_and_llm_cache_serves_a_forced_node(tmp_path, store):
    with fake_script(lambda m: "r") as script:
        run_graph(graph(tmp_path, GENERATE), store)
        second = run_graph(graph(tmp_path, GENERATE), store)
        forced = run_graph(graph(tmp_path, GENERATE), store, force=["gen"])
    assert len(script.calls) == 3
    assert second.nodes["gen"].cache_hit and forced.metrics["gen"]["cache_hits"] == 3
    assert forced.llm_calls == 0


def test_node_cache_false_sends_every_call(tmp_path, store):
    node = GENERATE.replace("    op: llm.generate\n", "    op: llm.generate\n    cache: false\n")
    with fake_script(lambda m: "r") as script:
        run_graph(graph(tmp_path, node), store)
        run_graph(graph(tmp_path, node), store)
    assert len(script.calls) == 6


def test_a_record_field_typo_stops_the_node_with_a_clear_message(tmp_path, store):
    node = GENERATE.replace("item.question", "item.qestion")
    with fake_script(lambda m: "r") as script:
        result = run_graph(graph(tmp_path, node), store)
    assert result.status == "failed" and not script.calls
    assert "template 'prompt' (inline): the value 'dict object' has no field 'qestion'" in result.nodes["gen"].error


EXTRACT = """\
  ext:
    op: llm.extract
    inputs: {items: qs}
    params:
      model: fake/x
      prompt: "Extract from: {{ item.question }}"
      fields:
        city: {type: str, description: the capital}
        population: int
        tags: {type: "list[str]", required: false}
"""


def test_extract_validates_and_keeps_going_after_a_bad_item(tmp_path, store):
    replies = {"France": '{"city": "Paris", "population": 2100000}',
               "Peru": "```json\n{'city': 'Lima', 'population': 10000000, 'tags': ['coast']}\n```",
               "Chad": "no idea"}
    settings = "settings:\n  llm: {max_item_errors: 1, retries: 1}\n"
    with fake_script(replies):
        result = run_graph(graph(tmp_path, EXTRACT, settings, "outputs:\n  records: ext.records\n"), store)
    records = result.outputs["records"]
    assert records[0] == {"id": "q1", "city": "Paris", "population": 2100000, "tags": None, "error": None}
    assert records[1]["tags"] == ["coast"] and records[1]["error"] is None
    assert records[2]["city"] is None and "no valid reply in 2 attempts" in records[2]["error"]
    m = result.metrics["ext"]
    assert (m["errors"], m["parse_errors"]) == (1, 1)
    assert result.llm_calls == 4  # the bad item was re-asked once (retries: 1)
    assert list(result.nodes["ext"].item_errors) == ["q3"]


def test_extract_rejects_a_bad_field_spec_at_compile_time(tmp_path):
    from pipec.compiler.errors import CompileError

    with pytest.raises(CompileError) as err:
        graph(tmp_path, EXTRACT.replace("population: int", "population: integr"))
    assert "field 'population': unknown type 'integr'" in err.value.format()
    print(err.value.format())


def test_op_without_items_runs_once(tmp_path, store):
    node = "  one:\n    op: llm.generate\n    params: {model: fake/x, prompt: 'Say {{ word }}', vars: {word: hi}}\n"
    with fake_script(lambda m: m[-1]["content"].upper()):
        result = run_graph(graph(tmp_path, node), store)
    assert run_outputs(store, result, "one")["texts"] == [{"id": "0", "text": "SAY HI", "error": None}]


def test_template_file_is_part_of_the_cache_key(tmp_path, store):
    (tmp_path / "p.j2").write_text("A {{ item.question }}")
    node = GENERATE.replace('"Q{{ index }}: {{ item.question }}"', "p.j2")
    with fake_script(lambda m: m[-1]["content"]):
        first = run_graph(graph(tmp_path, node), store)
        (tmp_path / "p.j2").write_text("B {{ item.question }}")
        second = run_graph(graph(tmp_path, node), store)
    assert not second.nodes["gen"].cache_hit
    assert run_outputs(store, second, "gen")["texts"][0]["text"] == "B capital of France?"
    assert first.nodes["gen"].key != second.nodes["gen"].key


# --- `pipe run` end to end (separate processes: the fake is scripted through PIPEC_FAKE_LLM) ---------------

CLI_GRAPH = """\
pipeline: cli
params: {model: fake/x}
nodes:
  qs:
    op: core.value
    params: {value: [{id: a, q: one}, {id: b, q: two}, {id: c, q: three}, {id: d, q: four}]}
  first:
    op: llm.generate
    inputs: {items: qs}
    params: {model: "${model}", prompt: "first {{ item.q }}", params: {api_key: "${env:PIPEC_TEST_SECRET}"}}
  second:
    op: llm.generate
    inputs: {items: first.texts}
    params: {model: "${model}", prompt: "second {{ item.id }} {{ item.text }} {{ key }}", vars: {key: "${env:PIPEC_TEST_SECRET}"}}
"""
SECRET = "sk-test-5ecr3t-value-that-must-not-leak"


def pipe(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PIPEC_TEST_SECRET": SECRET, **env}
    full_env.pop("OPENAI_API_KEY", None)
    return subprocess.run([sys.executable, "-m", "pipec.compiler.cli", "run", str(tmp_path / "g.yaml"), "--store",
                           str(tmp_path / "store"), "-q", *args], capture_output=True, text=True, timeout=120,
                          env=full_env, cwd=tmp_path)


def test_cli_budget_stop_keeps_work_and_secrets_never_reach_the_store(tmp_path):
    (tmp_path / "g.yaml").write_text(CLI_GRAPH)
    # a fixed reply: the secret is in prompts and parameters, never in what the model answers
    (tmp_path / "script.yaml").write_text("default: fine\nprices: {input: 1.0e-6, output: 1.0e-6}\n")
    env = {"PIPEC_FAKE_LLM": str(tmp_path / "script.yaml")}
    stopped = pipe(tmp_path, "--max-calls", "6", **env)
    assert stopped.returncode == 3, stopped.stderr
    assert "LLM call budget reached" in stopped.stderr and "Traceback" not in stopped.stderr
    from pipec.compiler.store import Store

    store = Store(tmp_path / "store")
    run = store.list_runs()[0]
    nodes = {n["node"]: n["status"] for n in store.node_runs(run["id"])}
    assert run["status"] == "budget_exceeded" and nodes["first"] == "succeeded" and nodes["second"] == "failed"
    assert run["llm_calls"] == 6 and run["cost_usd"] > 0
    store.close()
    resumed = pipe(tmp_path, **env)  # `first` is memoized, the 2 answered `second` calls are cached
    assert resumed.returncode == 0, resumed.stderr
    store = Store(tmp_path / "store")
    assert store.list_runs()[0]["llm_calls"] == 2
    assert store.query("SELECT COUNT(*) AS n FROM llm_calls WHERE cache_hit=1")[0]["n"] == 2
    shown = store.query("SELECT messages_json FROM llm_calls WHERE node='second'")
    assert shown and all("${env:PIPEC_TEST_SECRET}" in r["messages_json"] for r in shown)  # redacted, not dropped
    store.close()
    for path in (tmp_path / "store").rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), f"the secret leaked into {path}"


def test_cli_missing_api_key_is_one_line_and_nonzero(tmp_path):
    (tmp_path / "g.yaml").write_text(CLI_GRAPH.replace(', params: {api_key: "${env:PIPEC_TEST_SECRET}"}', ""))
    proc = pipe(tmp_path, "--set", "model=openai/gpt-4o-mini")
    assert proc.returncode == 1
    assert ("error: node 'first' (op llm.generate) failed: OPENAI_API_KEY is not set for model openai/gpt-4o-mini"
            in proc.stderr)
    assert "Traceback" not in proc.stderr


def test_ctx_llm_from_a_plain_def_op_and_an_async_op(tmp_path, store):
    """Third-party ops reach the gateway as `ctx.llm`: sync from the worker thread, async on the event loop."""
    from pipec.compiler.op import In, Op, Out
    from pipec.compiler.registry import Registry

    class SyncAsk(Op):
        name = "test.sync_ask"
        inputs = {"items": In("Any")}
        outputs = {"texts": Out("Any")}

        def run(self, ctx, items):
            return {"texts": [ctx.llm.complete_sync("fake/x", f"sync {i}", item=str(i)).text for i in items]}

    class AsyncAsk(Op):
        name = "test.async_ask"
        inputs = {"items": In("Any")}
        outputs = {"texts": Out("Any")}

        async def run(self, ctx, items):
            replies = [await ctx.llm.complete("fake/x", f"async {t}", item=t) for t in items]
            return {"texts": [r.text for r in replies]}

    registry = Registry()
    registry.register(SyncAsk)
    registry.register(AsyncAsk)
    text = ("nodes:\n  v: {op: core.value, params: {value: [1, 2]}}\n"
            "  s: {op: test.sync_ask, inputs: {items: v}}\n  a: {op: test.async_ask, inputs: {items: s.texts}}\n")
    graph = compile_text(text, str(tmp_path / "g.yaml"), tmp_path, registry=registry)
    with fake_script(lambda m: m[-1]["content"].upper()):
        result = run_graph(graph, store)
    assert result.status == "succeeded", result.error
    assert store.load_result(result.nodes["a"].key)["texts"] == ["ASYNC SYNC 1", "ASYNC SYNC 2"]
    rows = store.query("SELECT node, item FROM llm_calls WHERE run_id=? ORDER BY id", (result.run_id,))
    assert rows == [{"node": "s", "item": "1"}, {"node": "s", "item": "2"},
                    {"node": "a", "item": "SYNC 1"}, {"node": "a", "item": "SYNC 2"}]
    assert result.llm_calls == 4


def test_the_example_graph_runs_offline_with_its_fake_script(repo, store, monkeypatch):
    from pipec.compiler.api import run_file

    example = repo / "examples" / "llm"
    monkeypatch.setenv("PIPEC_FAKE_LLM", str(example / "fake_script.yaml"))
    result = run_file(example / "extract.yaml", store=store)
    assert result.status == "succeeded", result.error
    facts = {r["id"]: r for r in result.outputs["facts"]}
    assert facts["curie"]["born"] == 1867 and facts["hopper"]["birthplace"] == "New York City"  # repaired, re-asked
    assert facts["lovelace"]["error"] and facts["lovelace"]["born"] is None  # a per-item failure
    assert all(t["text"] for t in result.outputs["summaries"])
    assert result.cost_usd > 0 and result.metrics["facts"]["parse_errors"] == 1


def test_a_different_fake_script_file_is_never_served_from_caches(tmp_path, store, monkeypatch):
    """fake/... replies depend on PIPEC_FAKE_LLM's file: node keys and the response cache must follow it."""
    def answers():
        result = run_graph(graph(tmp_path, GENERATE), store)
        return [t["text"] for t in run_outputs(store, result, "gen")["texts"]], result

    (tmp_path / "a.yaml").write_text("responses: {France: Paris}\ndefault: A\n")
    (tmp_path / "b.yaml").write_text("responses: {France: Lyon}\ndefault: B\n")
    monkeypatch.setenv("PIPEC_FAKE_LLM", str(tmp_path / "a.yaml"))
    assert answers()[0] == ["Paris", "A", "A"]
    monkeypatch.setenv("PIPEC_FAKE_LLM", str(tmp_path / "b.yaml"))
    texts, result = answers()
    assert texts == ["Lyon", "B", "B"] and not result.nodes["gen"].cache_hit
    monkeypatch.delenv("PIPEC_FAKE_LLM")
    assert answers()[0][0] == "Q0: capital of France?"  # no script: the fake echoes
    monkeypatch.setenv("PIPEC_FAKE_LLM", str(tmp_path / "a.yaml"))
    texts, result = answers()
    assert texts == ["Paris", "A", "A"] and result.nodes["gen"].cache_hit  # same file content: memoized
