"""The gateway's call path with the fake provider: replies, tokens, cost, call log, sync/async, errors."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json

import pytest
from pipec.compiler.llm import LLMAuthError, LLMError, LLMItemError, MissingAPIKey, UnknownModel
from pipec.compiler.llm.fake import fake_script


def test_complete_returns_reply_tokens_and_cost(llm):
    with fake_script({"France": "Paris is the capital"}, prices={"input": 1e-6, "output": 2e-6}):
        resp = llm.complete_sync("fake/geo", "What is the capital of France?")
    assert resp.text == "Paris is the capital"
    assert resp.model == "fake/geo"
    assert (resp.prompt_tokens, resp.completion_tokens) == (6, 4)
    assert resp.cost_usd == pytest.approx(6 * 1e-6 + 4 * 2e-6)
    assert resp.cache_hit is False and resp.latency_s >= 0


def test_unknown_price_is_none_and_null_in_the_log(llm, logged):
    with fake_script(["hello"]):
        resp = llm.complete_sync("fake/unpriced", "hi")
    assert resp.cost_usd is None
    row = logged()[0]
    assert row["cost_usd"] is None and row["error"] is None
    assert llm.gateway.cost_usd == 0.0 and llm.gateway.budget.unknown_cost_calls == 1


def test_every_call_is_logged_with_its_fields(llm, logged):
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "name a colour"}]
    with fake_script({"colour": "blue"}, prices={"input": 1e-6, "output": 1e-6}):
        llm.complete_sync("fake/a", messages, item="q7", temperature=0.5, max_tokens=5)
    (row,) = logged()
    assert row["run_id"] == "run-test" and row["node"] == "node-a" and row["item"] == "q7"
    assert row["model"] == "fake/a" and row["response"] == "blue"
    assert json.loads(row["messages_json"]) == messages
    assert json.loads(row["params_json"]) == {"temperature": 0.5, "max_tokens": 5}
    assert row["prompt_tokens"] == 5 and row["completion_tokens"] == 1
    assert row["cost_usd"] == pytest.approx(6e-6)
    assert row["cache_hit"] == 0 and row["latency_s"] >= 0 and len(row["request_hash"]) == 64


def test_async_complete_from_another_event_loop(llm):
    async def main():
        return await asyncio.gather(*(llm.complete("fake/x", f"item {i}") for i in range(5)))

    with fake_script(latency=0.01):
        replies = asyncio.run(main())
    assert [r.text for r in replies] == [f"item {i}" for i in range(5)]  # echo without a script


def test_complete_sync_from_worker_threads(llm):
    with fake_script(lambda messages: messages[-1]["content"].upper()):
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            texts = list(pool.map(lambda i: llm.complete_sync("fake/x", f"t{i}").text, range(8)))
    assert texts == [f"T{i}" for i in range(8)]


def test_messages_must_be_well_formed(llm):
    with pytest.raises(TypeError):
        llm.complete_sync("fake/x", [{"content": "no role"}])


def test_missing_api_key_is_one_clear_line(llm, monkeypatch, logged):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(MissingAPIKey) as err:
        llm.complete_sync("openai/gpt-4o-mini", "hi")
    assert str(err.value).startswith("OPENAI_API_KEY is not set for model openai/gpt-4o-mini")
    assert "\n" not in str(err.value)


def test_unknown_provider(llm):
    with pytest.raises(UnknownModel, match="unknown model 'nonsense-model'"):
        llm.complete_sync("nonsense-model", "hi")


def test_auth_failure_is_not_retried(llm, logged):
    with fake_script(["ok"], failures=[{"error": "auth", "times": 5}]) as script:
        with pytest.raises(LLMAuthError, match="authentication failed for model fake/x"):
            llm.complete_sync("fake/x", "hi")
    assert len(script.calls) == 1
    assert "authentication failed" in logged()[0]["error"]


def test_refused_request_is_an_item_error(llm):
    with fake_script(["ok"], failures=[{"error": "context_window", "times": 1}]) as script:
        with pytest.raises(LLMItemError):
            llm.complete_sync("fake/x", "a very long prompt")
    assert len(script.calls) == 1
    assert issubclass(LLMItemError, LLMError)


def test_litellm_is_configured_offline(llm):
    import os

    from pipec.compiler.llm.backend import get_litellm

    litellm = get_litellm()
    assert os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"
    assert litellm.suppress_debug_info is True
    assert {"fake", "local"} <= {p["provider"] for p in litellm.custom_provider_map}


def test_timeout_and_max_retries_are_always_passed(llm, monkeypatch):
    from pipec.compiler.llm.backend import get_litellm

    litellm = get_litellm()
    seen = {}
    real = litellm.acompletion

    async def spy(**kwargs):
        seen.update(kwargs)
        return await real(**kwargs)

    monkeypatch.setattr(litellm, "acompletion", spy)
    with fake_script(["ok"]):
        llm.complete_sync("fake/x", "hi")
    assert seen["timeout"] == llm.settings.timeout and seen["max_retries"] == 0


@pytest.mark.parametrize("model", ["ollama/llama3.1", "hosted_vllm/my-model"])
def test_no_server_at_the_address_is_a_connection_error(make_gateway, model):
    from pipec.compiler.llm import LLMConnectionError

    llm = make_gateway(retries=1).bind(node="n")
    with pytest.raises(LLMConnectionError) as err:
        llm.complete_sync(model, "hi", api_base="http://127.0.0.1:9")  # nothing listens on the discard port
    message = str(err.value)
    assert message.startswith(f"cannot reach the server for model {model} at http://127.0.0.1:9 (2 attempts)")
    assert "\n" not in message
