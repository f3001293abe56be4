"""Response cache (store-backed), in-flight deduplication, and the switches that turn caching off."""

from __future__ import annotations

import asyncio

import pytest
from pipec.compiler.llm.fake import fake_script


def test_second_identical_call_is_a_free_marked_hit(llm, logged):
    with fake_script(["first", "second"], prices={"input": 1e-6, "output": 1e-6}) as script:
        a = llm.complete_sync("fake/x", "same prompt", item="1")
        b = llm.complete_sync("fake/x", "same prompt", item="2")
    assert len(script.calls) == 1
    assert (a.text, a.cache_hit) == ("first", False) and a.cost_usd > 0
    assert (b.text, b.cache_hit, b.cost_usd) == ("first", True, 0.0)
    rows = logged()
    assert [r["cache_hit"] for r in rows] == [0, 1]
    assert rows[1]["cost_usd"] == 0.0 and rows[1]["item"] == "2"
    assert llm.gateway.calls_made == 1 and llm.gateway.cache_hits == 1
    assert llm.gateway.cost_usd == pytest.approx(a.cost_usd)


def test_output_changing_params_miss_transport_params_hit(llm):
    with fake_script(lambda m: "r") as script:
        llm.complete_sync("fake/x", "p", temperature=0)
        llm.complete_sync("fake/x", "p", temperature=0, timeout=5)  # timeout does not change the reply
        llm.complete_sync("fake/x", "p", temperature=0.7)
        llm.complete_sync("fake/y", "p", temperature=0)
        llm.complete_sync("fake/x", [{"role": "system", "content": "s"}, {"role": "user", "content": "p"}],
                          temperature=0)
    assert len(script.calls) == 4


def test_cache_survives_the_process_through_the_store(make_gateway):
    with fake_script(["stored"]) as script:
        make_gateway(run_id="r1").bind(node="n").complete_sync("fake/x", "persist me")
        again = make_gateway(run_id="r2").bind(node="n").complete_sync("fake/x", "persist me")
    assert len(script.calls) == 1 and again.cache_hit and again.text == "stored"


def test_identical_concurrent_requests_are_sent_once(llm, logged):
    async def main():
        return await asyncio.gather(*(llm.complete("fake/x", "dup", item=str(i)) for i in range(20)))

    with fake_script(["only once"], latency=0.1) as script:
        replies = asyncio.run(main())
    assert len(script.calls) == 1
    assert {r.text for r in replies} == {"only once"}
    assert sum(not r.cache_hit for r in replies) == 1
    assert sum(r["cache_hit"] for r in logged()) == 19
    assert llm.gateway.calls_made == 1


def test_failed_request_is_not_cached_and_waiters_get_the_error(llm):
    from pipec.compiler.llm import LLMAuthError

    async def main():
        return await asyncio.gather(*(llm.complete("fake/x", "dup") for _ in range(3)), return_exceptions=True)

    with fake_script(["fine"], latency=0.05, failures=[{"error": "auth", "times": 1}]) as script:
        results = asyncio.run(main())
        assert all(isinstance(r, LLMAuthError) for r in results)
        assert llm.complete_sync("fake/x", "dup").text == "fine"
    assert len(script.calls) == 2


def test_no_llm_cache_for_the_run_sends_everything(make_gateway, logged):
    llm = make_gateway(use_cache=False).bind(node="n")
    with fake_script(["a", "b"]) as script:
        first = llm.complete_sync("fake/x", "same")
        second = llm.complete_sync("fake/x", "same")
    assert len(script.calls) == 2 and (first.text, second.text) == ("a", "b")
    assert not second.cache_hit and [r["cache_hit"] for r in logged()] == [0, 0]


def test_settings_cache_false_also_turns_it_off(make_gateway):
    llm = make_gateway(cache=False).bind(node="n")
    with fake_script(["a", "b"]) as script:
        llm.complete_sync("fake/x", "same")
        llm.complete_sync("fake/x", "same")
    assert len(script.calls) == 2


def test_node_with_cache_false_neither_reads_nor_dedups(make_gateway):
    gateway = make_gateway()
    cached, uncached = gateway.bind(node="a"), gateway.bind(node="b", cache=False)

    async def main():
        return await asyncio.gather(*(uncached.complete("fake/x", "same") for _ in range(3)))

    with fake_script(lambda m: "r", latency=0.02) as script:
        cached.complete_sync("fake/x", "same")
        replies = asyncio.run(main())
    assert len(script.calls) == 4 and not any(r.cache_hit for r in replies)


def test_runs_in_one_process_share_in_flight_requests_and_limits(make_gateway):
    a, b = make_gateway(run_id="trial-1").bind(node="n"), make_gateway(run_id="trial-2").bind(node="n")
    assert a.gateway.limits is b.gateway.limits  # same settings: one set of slots for the process

    async def main():
        return await asyncio.gather(a.complete("fake/x", "same"), b.complete("fake/x", "same"))

    with fake_script(["shared"], latency=0.1) as script:
        ra, rb = asyncio.run(main())
    assert len(script.calls) == 1 and {ra.cache_hit, rb.cache_hit} == {True, False}
    assert a.gateway.calls_made + b.gateway.calls_made == 1


def test_a_request_already_sent_finishes_when_its_caller_is_cancelled(make_gateway, store):
    """Its reply is paid for: a waiter gets it and it is cached, although the caller that sent it is gone."""
    a, b = make_gateway(run_id="r1").bind(node="n"), make_gateway(run_id="r2").bind(node="n")

    async def main():
        first = asyncio.ensure_future(a.complete("fake/x", "same"))
        await asyncio.sleep(0.05)
        second = asyncio.ensure_future(b.complete("fake/x", "same"))
        await asyncio.sleep(0.05)
        first.cancel()
        return await second

    with fake_script(["sent once"], latency=0.2) as script:
        reply = asyncio.run(main())
    assert reply.text == "sent once" and reply.cache_hit  # the waiter shared the sender's request
    assert len(script.calls) == 1
    assert store.query("SELECT COUNT(*) AS n FROM llm_cache")[0]["n"] == 1


def test_a_waiter_sends_the_request_itself_when_the_sender_is_cancelled_before_sending(make_gateway):
    a, b = make_gateway(run_id="r1", per_model_concurrency={"fake/x": 1}).bind(node="n"), \
        make_gateway(run_id="r2", per_model_concurrency={"fake/x": 1}).bind(node="n")

    async def main():
        blocker = asyncio.ensure_future(a.complete("fake/x", "other"))  # holds the only slot
        await asyncio.sleep(0.05)
        first = asyncio.ensure_future(a.complete("fake/x", "same"))  # waits for the slot
        await asyncio.sleep(0.05)
        second = asyncio.ensure_future(b.complete("fake/x", "same"))  # waits for `first`
        await asyncio.sleep(0.05)
        first.cancel()
        await blocker
        return await second

    with fake_script(["sent by the waiter"], latency=0.2) as script:
        reply = asyncio.run(main())
    assert reply.text == "sent by the waiter" and not reply.cache_hit
    assert len(script.calls) == 2  # `other`, then `same` once, by the waiter
