"""Serving overhead: the offline RAG example (examples/rag/serve.yaml) answering one question per request,
through a real `pipe serve` (uvicorn on 127.0.0.1) and through the Python API in-process
(`Graph.session(...).arun`), side by side, at concurrency 1 and 8.

    python bench/serve/serve_bench.py                      # 3 rounds x 24 requests per cell, MiniLM embedder
    python bench/serve/serve_bench.py --requests 40 --rounds 5 --embedder hashing

Every request asks a question no earlier request asked (memoization would otherwise answer it from the store),
so each request really retrieves and reads. The sides alternate within each round; the table gives the median
over rounds of requests/s and of the per-round p50/p99 latency, and the HTTP/API ratio of requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GRAPH = REPO / "examples" / "rag" / "serve.yaml"
QUESTIONS = [json.loads(line)["question"] for line in
             (REPO / "examples" / "rag" / "data" / "questions.jsonl").read_text().splitlines() if line.strip()]


class Asker:
    """Unique questions: the example's questions with a running number."""

    def __init__(self) -> None:
        self.n = 0

    def next(self) -> str:
        self.n += 1
        return f"{QUESTIONS[self.n % len(QUESTIONS)]} (request {self.n})"


async def drive(call, asker: Asker, requests: int, concurrency: int) -> tuple[float, list[float]]:
    """requests/s and the latencies of `requests` calls, `concurrency` at a time."""
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one() -> None:
        async with gate:
            t0 = time.perf_counter()
            await call(asker.next())
            latencies.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(requests)))
    return requests / (time.perf_counter() - t0), latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def start_server(store: Path, embedder: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "pipec.compiler.cli", "serve", str(GRAPH), "--store", str(store),
                             "--set", f"embedder={embedder}", "--port", "0", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line:
        raise SystemExit("pipe serve did not start")
    return proc, json.loads(line)["url"]


async def main_async(args, store: Path, session) -> None:
    import httpx

    proc, url = start_server(store, args.embedder)  # finds it memoized
    asker = Asker()
    results: dict[tuple[str, int], list[tuple[float, float, float]]] = {}
    try:
        async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=16)) as client:
            for _ in range(30):
                try:
                    if (await client.get(f"{url}/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.2)

            async def over_http(question: str) -> None:
                reply = await client.post(f"{url}/run", json={"question": question})
                assert reply.status_code == 200, reply.text

            async def in_process(question: str) -> None:
                run = await session.arun({"question": question})
                assert run.ok, run.error

            sides = {"http": over_http, "api": in_process}
            for side in sides.values():  # warm-up: models loaded, first-request costs paid
                await drive(side, asker, 4, 2)
            for _ in range(args.rounds):
                for concurrency in (1, 8):
                    for name, side in sides.items():
                        rps, lat = await drive(side, asker, args.requests, concurrency)
                        results.setdefault((name, concurrency), []).append((rps, pct(lat, 0.5), pct(lat, 0.99)))
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"offline RAG (examples/rag/serve.yaml, embedder={args.embedder}), {args.rounds} rounds x "
          f"{args.requests} requests per cell; medians over rounds [min-max of requests/s]")
    print(f"{'path':<6} {'conc':>4} {'req/s':>8} {'range':>15} {'p50 ms':>8} {'p99 ms':>8} {'HTTP/API req/s':>15}")
    for concurrency in (1, 8):
        for name in ("api", "http"):
            rows = results[(name, concurrency)]
            rps = [r[0] for r in rows]
            ratio = ""
            if name == "http":
                api = statistics.median(r[0] for r in results[("api", concurrency)])
                ratio = f"{statistics.median(rps) / api:.2f}"
            print(f"{name:<6} {concurrency:>4} {statistics.median(rps):>8.1f} {min(rps):>7.1f}-{max(rps):<7.1f} "
                  f"{statistics.median(r[1] for r in rows) * 1000:>8.1f} "
                  f"{statistics.median(r[2] for r in rows) * 1000:>8.1f} {ratio:>15}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=24, help="requests per cell and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--embedder", default="minilm", help="minilm (the example's) or hashing")
    args = parser.parse_args()
    import pipec

    store = Path(tempfile.mkdtemp()) / ".pipe"
    session = pipec.load(GRAPH, set={"embedder": args.embedder}).session(store)  # computes the static part
    asyncio.run(main_async(args, store, session))


if __name__ == "__main__":
    main()
