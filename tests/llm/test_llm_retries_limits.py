"""Retries with backoff on retryable errors only, timeouts, concurrency limits and budgets."""

from __future__ import annotations

import asyncio
import time

import pytest
from pipec.compiler.errors import BudgetExceeded
from pipec.compiler.llm import LLMRateLimited, LLMServerError, LLMTimeout
from pipec.compiler.llm.failures import BACKOFF_CAP_S, backoff_delay, is_retryable
from pipec.compiler.llm.fake import fake_script, make_error


@pytest.mark.parametrize("kind", ["rate_limit", "timeout", "server_error", "unavailable", "connection"])
def test_retryable_errors_are_retried_then_succeed(llm, logged, kind):
    with fake_script(["recovered"], failures=[{"error": kind, "times": 2}]) as script:
        resp = llm.complete_sync("fake/x", "hi")
    assert resp.text == "recovered" and len(script.calls) == 3
    rows = logged()
    assert len(rows) == 1 and rows[0]["error"] is None  # one logical call, logged once
    assert llm.gateway.calls_made == 1


def test_retries_are_bounded(make_gateway, logged):
    llm = make_gateway(retries=2).bind(node="n")
    with fake_script(["never"], failures=[{"error": "rate_limit", "times": 10}]) as script:
        with pytest.raises(LLMRateLimited, match=r"fake/x is rate-limited \(3 attempts\)"):
            llm.complete_sync("fake/x", "hi")
    assert len(script.calls) == 3
    assert "rate-limited" in logged()[0]["error"]


def test_server_error_after_retries(make_gateway):
    llm = make_gateway(retries=1).bind(node="n")
    with fake_script(["x"], failures=[{"error": "server_error", "times": 5}]):
        with pytest.raises(LLMServerError):
            llm.complete_sync("fake/x", "hi")


def test_slow_reply_times_out_after_retries(make_gateway):
    llm = make_gateway(timeout=0.05, retries=1).bind(node="n")
    with fake_script(["late"], latency=1.0) as script:
        t0 = time.perf_counter()
        with pytest.raises(LLMTimeout, match=r"did not answer within 0.05s \(2 attempts\)"):
            llm.complete_sync("fake/x", "hi")
    assert time.perf_counter() - t0 < 0.8 and len(script.calls) == 0  # cut off before replying


def test_backoff_grows_exponentially_with_jitter():
    delays = [backoff_delay(n, 1.0) for n in range(4)]
    for n, d in enumerate(delays):
        assert 0.5 * 2 ** n <= d <= 2 ** n
    assert backoff_delay(20, 1.0) <= BACKOFF_CAP_S


def test_which_errors_are_retryable():
    assert is_retryable(make_error("rate_limit", "m")) and is_retryable(make_error("connection", "m"))
    assert is_retryable(TimeoutError())
    assert not is_retryable(make_error("auth", "m")) and not is_retryable(make_error("context_window", "m"))
    assert not is_retryable(make_error("bad_request", "m"))


def _peak_concurrency(llm, models, latency=0.05):
    state = {"now": 0, "peak": 0}

    async def one(model, i):
        return await llm.complete(model, f"{model} {i}")

    def reply(messages):
        return "ok"

    from pipec.compiler.llm import fake as fake_module

    original = fake_module.FakeLLM.acompletion

    async def tracked(self, *args, **kwargs):
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        try:
            return await original(self, *args, **kwargs)
        finally:
            state["now"] -= 1

    async def main():
        return await asyncio.gather(*(one(m, i) for i, m in enumerate(models)))

    fake_module.FakeLLM.acompletion = tracked
    try:
        with fake_script(reply, latency=latency):
            asyncio.run(main())
    finally:
        fake_module.FakeLLM.acompletion = original
    return state["peak"]


def test_global_concurrency_limit(make_gateway):
    llm = make_gateway(concurrency=3).bind(node="n")
    assert _peak_concurrency(llm, ["fake/a"] * 12) == 3


def test_per_model_concurrency_limit(make_gateway):
    llm = make_gateway(concurrency=10, per_model_concurrency={"fake/slow": 1}).bind(node="n")
    assert _peak_concurrency(llm, ["fake/slow"] * 5) == 1
    llm = make_gateway(concurrency=10, per_model_concurrency={"fake/": 2}).bind(node="n")
    assert _peak_concurrency(llm, ["fake/a", "fake/b"] * 4) == 2


def test_max_calls_budget(make_gateway, logged):
    llm = make_gateway(max_calls=2).bind(node="n")
    with fake_script(lambda m: "r"):
        llm.complete_sync("fake/x", "1")
        llm.complete_sync("fake/x", "2")
        assert llm.complete_sync("fake/x", "1").cache_hit  # hits are free
        with pytest.raises(BudgetExceeded, match="--max-calls 2"):
            llm.complete_sync("fake/x", "3")
    assert llm.gateway.calls_made == 2 and len(logged()) == 3


def test_max_usd_budget(make_gateway):
    llm = make_gateway(max_usd=0.000009).bind(node="n")
    with fake_script(lambda m: "five words in this reply", prices={"input": 0.0, "output": 1e-6}):
        spent = 0
        with pytest.raises(BudgetExceeded, match="LLM cost budget reached"):
            for i in range(10):
                llm.complete_sync("fake/x", f"q{i}")
                spent += 1
    assert spent == 2 and llm.gateway.cost_usd == pytest.approx(1e-5)  # 5 words at 1e-6 each


def test_model_patterns_and_the_implicit_local_limit():
    from pipec.compiler.llm.limits import Limits

    limits = Limits(8, {"openai/*": 4, "ollama/": 2, "local/": 3, "fake/x": 1})
    assert limits.pattern_for("openai/gpt-4o") == "openai/*" and limits.pattern_for("ollama/llama3.1") == "ollama/"
    assert limits.pattern_for("fake/x") == "fake/x" and limits.pattern_for("fake/y") is None
    assert limits.per_model[limits.pattern_for("local/smollm2")] == 3  # the settings win over the implicit 1
    assert Limits(8).per_model[Limits(8).pattern_for("local/smollm2")] == 1


def test_usd_budget_holds_under_concurrency(make_gateway):
    """Requests waiting for a slot check the budget when they get one: overshoot is at most `concurrency` calls."""
    llm = make_gateway(max_usd=0.00002, concurrency=2).bind(node="n")

    async def main():
        return await asyncio.gather(*(llm.complete("fake/x", f"q{i}") for i in range(20)), return_exceptions=True)

    with fake_script(lambda m: "five words in this reply", prices={"input": 0.0, "output": 1e-6}, latency=0.02):
        results = asyncio.run(main())
    answered = [r for r in results if not isinstance(r, Exception)]
    assert all(isinstance(r, BudgetExceeded) for r in results if isinstance(r, Exception))
    assert 4 <= len(answered) <= 6 and llm.gateway.cost_usd <= 0.00002 + 2 * 5e-6 + 1e-12
