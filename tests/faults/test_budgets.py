"""Budgets hold under concurrency: each call's estimated cost is reserved before it is sent, so `--max-usd` is
exceeded by at most one call's estimate, and `--max-calls` not at all, with 8 requests in flight."""

from __future__ import annotations

import pytest
from fault_graphs import compile_graph, fault_graph
from pipec.compiler.api import run_graph

pytestmark = pytest.mark.xdist_group("faults")


def one_call_estimate(url: str) -> float:
    from pipec.compiler.llm.costs import estimate_cost

    return estimate_cost("openai/gpt-4o-mini", [{"role": "user", "content": "Answer item q40"}],
                         {"max_tokens": 50})


def test_max_usd_holds_with_8_concurrent_requests(server, marker_key, store, tmp_path):
    server.faults, server.slow_s = {"item": "slow"}, 0.3
    estimate = one_call_estimate(server.url)
    assert estimate > 0  # litellm knows gpt-4o-mini's price
    budget = 6 * estimate
    text = fault_graph(server.url, n=40, settings=f", concurrency: 8, max_usd: {budget}")
    result = run_graph(compile_graph(text, tmp_path), store)
    assert result.status == "budget_exceeded", result.error
    assert result.cost_usd <= budget + estimate * 1.01
    assert len(server.sent()) == result.llm_calls < 40
    # without the reservation the 8 calls in flight would all have been sent once the budget was reached
    assert "LLM cost budget reached" in result.error


def test_max_calls_holds_with_8_concurrent_requests(server, marker_key, store, tmp_path):
    server.faults, server.slow_s = {"item": "slow"}, 0.3
    text = fault_graph(server.url, n=40, settings=", concurrency: 8, max_calls: 10")
    result = run_graph(compile_graph(text, tmp_path), store)
    assert result.status == "budget_exceeded"
    assert len(server.sent()) == 10 and result.llm_calls == 10
    server.heal()
    server.reset()
    resumed = run_graph(compile_graph(text.replace(", max_calls: 10", ""), tmp_path), store)
    assert resumed.status == "succeeded" and len(server.sent()) == 30  # the 10 answered ones are cached
