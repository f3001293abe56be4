"""LLM gateway throughput and overhead, against the fake provider (offline, no API key).

    python bench/llm_concurrency/run.py [--items 200] [--latency 0.2] [--concurrency 32] [--overhead-calls 300]

1. Throughput: `items` distinct requests with `latency` seconds each at `concurrency`, through the gateway
   (cache, call log in a fresh SQLite store, limits, retries armed) and through the `llm.generate` op run by the
   executor. Compared with the ideal items x latency / concurrency. Target: within 1.2x at concurrency 32.
2. Overhead: sequential calls with zero latency, through the gateway versus `litellm.acompletion` directly on
   the same fake provider, in the same process: the difference is what the gateway adds per call (hashing,
   cache lookup, log row, semaphores, hop to the gateway loop). Target: under 2 ms per call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path


def gateway(store, concurrency: int):
    from pipec.compiler.llm.gateway import Gateway
    from pipec.compiler.spec import LLMSettings

    return Gateway(store=store, settings=LLMSettings(concurrency=concurrency), run_id="bench")


def throughput_gateway(items: int, latency: float, concurrency: int, tag: str) -> float:
    from pipec.compiler.llm.fake import fake_script
    from pipec.compiler.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / ".pipe")
        llm = gateway(store, concurrency).bind(node="bench")

        async def main():
            return await asyncio.gather(*(llm.complete("fake/bench", f"{tag} question {i}", item=str(i))
                                          for i in range(items)))

        with fake_script(latency=latency):
            t0 = time.perf_counter()
            replies = asyncio.run(main())
            wall = time.perf_counter() - t0
        logged = store.query("SELECT COUNT(*) AS n FROM llm_calls")[0]["n"]
        store.close()
    assert len(replies) == items and logged == items and not any(r.cache_hit for r in replies)
    return wall


def throughput_litellm(items: int, latency: float, concurrency: int, tag: str) -> float:
    """The floor set by litellm itself: the same calls with only a semaphore, no gateway."""
    from pipec.compiler.llm import loop
    from pipec.compiler.llm.backend import get_litellm
    from pipec.compiler.llm.fake import fake_script

    litellm = get_litellm()

    async def main():
        limit = asyncio.Semaphore(concurrency)

        async def one(i):
            async with limit:
                return await litellm.acompletion(model="fake/bench", timeout=60, max_retries=0,
                                                 messages=[{"role": "user", "content": f"{tag} raw {i}"}])

        return await asyncio.gather(*(one(i) for i in range(items)))

    with fake_script(latency=latency):
        t0 = time.perf_counter()
        replies = loop.run_sync(main())
        wall = time.perf_counter() - t0
    assert len(replies) == items
    return wall


def throughput_op(items: int, latency: float, concurrency: int, tag: str) -> float:
    from pipec.compiler.api import compile_text, run_graph
    from pipec.compiler.llm.fake import fake_script
    from pipec.compiler.store import Store

    records = [{"id": str(i), "q": f"{tag} op question {i}"} for i in range(items)]
    text = (f"pipeline: bench\nsettings: {{llm: {{concurrency: {concurrency}}}}}\nnodes:\n"
            f"  qs: {{op: core.value, params: {{value: {json.dumps(records)}}}}}\n"
            "  gen: {op: llm.generate, inputs: {items: qs}, params: {model: fake/bench, prompt: '{{ item.q }}'}}\n")
    with tempfile.TemporaryDirectory() as tmp:
        graph = compile_text(text, str(Path(tmp) / "g.yaml"), tmp)
        store = Store(Path(tmp) / ".pipe")
        with fake_script(latency=latency):
            result = run_graph(graph, store)
        store.close()
    assert result.status == "succeeded" and result.llm_calls == items, result.error
    return result.nodes["gen"].duration_s


async def _direct_calls(litellm, calls: int, prefix: str) -> None:
    for i in range(calls):
        await litellm.acompletion(model="fake/o", messages=[{"role": "user", "content": f"{prefix} {i}"}],
                                  timeout=60, max_retries=0)


async def _gateway_calls(llm, calls: int, prefix: str) -> None:
    for i in range(calls):
        await llm.complete("fake/o", f"{prefix} {i}", item=str(i))


def overhead(calls: int, repeats: int = 3) -> dict[str, float]:
    from pipec.compiler.llm import loop
    from pipec.compiler.llm.backend import get_litellm
    from pipec.compiler.llm.fake import fake_script
    from pipec.compiler.store import Store

    litellm = get_litellm()
    direct, through, hits = [], [], []
    with tempfile.TemporaryDirectory() as tmp, fake_script():
        store = Store(Path(tmp) / ".pipe")
        for r in range(repeats):
            t0 = time.perf_counter()
            loop.run_sync(_direct_calls(litellm, calls, f"d{r}"))  # on the gateway's loop, like the gateway
            direct.append((time.perf_counter() - t0) / calls)
            llm = gateway(store, 16).bind(node="overhead")
            t0 = time.perf_counter()
            asyncio.run(_gateway_calls(llm, calls, f"g{r}"))
            through.append((time.perf_counter() - t0) / calls)
            t0 = time.perf_counter()
            asyncio.run(_gateway_calls(llm, calls, f"g{r}"))  # the same requests again: all cache hits
            hits.append((time.perf_counter() - t0) / calls)
        store.close()
    d, g, h = statistics.median(direct), statistics.median(through), statistics.median(hits)
    return {"direct_ms": d * 1e3, "gateway_ms": g * 1e3, "overhead_ms": (g - d) * 1e3, "hit_ms": h * 1e3}



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--overhead-calls", type=int, default=300)
    args = parser.parse_args(argv)

    from pipec.compiler.llm.backend import get_litellm

    get_litellm()  # import once, outside the timings
    throughput_gateway(40, 0.0, args.concurrency, "warm-up")  # litellm builds caches on its first calls
    tag = str(time.time())
    ideal = args.items * args.latency / args.concurrency
    waves = -(-args.items // args.concurrency) * args.latency
    rows = []
    paths = (("litellm + semaphore (no gateway)", throughput_litellm), ("gateway.complete x gather", throughput_gateway),
             ("llm.generate op (executor)", throughput_op))
    for name, fn in paths:
        wall = fn(args.items, args.latency, args.concurrency, tag)
        rows.append((name, wall))
    print(f"throughput: {args.items} items, fake latency {args.latency * 1e3:.0f} ms, concurrency "
          f"{args.concurrency}; ideal = items x latency / concurrency = {ideal:.3f} s "
          f"(whole waves: {waves:.3f} s)")
    print(f"{'path':<33} {'wall s':>8} {'x ideal':>8} {'target':>8}")
    ok = True
    for name, wall in rows:
        ratio = wall / ideal
        ok &= ratio <= 1.2 or name.startswith("litellm")
        print(f"{name:<33} {wall:>8.3f} {ratio:>8.2f} {'<= 1.20':>8}")
    o = overhead(args.overhead_calls)
    print(f"\noverhead: {args.overhead_calls} sequential calls, zero latency, median of 3")
    print(f"{'path':<42} {'ms/call':>8}")
    print(f"{'litellm.acompletion directly (fake provider)':<42} {o['direct_ms']:>8.3f}")
    print(f"{'gateway.complete (cache miss, logged)':<42} {o['gateway_ms']:>8.3f}")
    print(f"{'gateway overhead (difference), target < 2':<42} {o['overhead_ms']:>8.3f}")
    print(f"{'gateway.complete (cache hit, logged)':<42} {o['hit_ms']:>8.3f}")
    ok &= o["overhead_ms"] < 2.0
    print("\nall targets met" if ok else "\nsome target missed (CPU contention? see the figures)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
