"""Generate a large run store for the TUI benchmark, through the store's own writers.

Default: 1,000 runs of a 6-node RAG-like graph, 100,000 LLM calls (half of them in one node of one run, the
largest table a user scrolls), 10,000 per-example rows for one node, and a study of 300 trials.

    python bench/tui/make_store.py /tmp/pipe-big [--runs 1000] [--calls 100000] [--items 10000] [--trials 300]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import time
from pathlib import Path

from pipec.compiler.llm.callstore import CallStore
from pipec.compiler.store import Store

NODES = [("data", "load.dataset"), ("chunks", "chunk.tokens"), ("index", "index.build"),
         ("retrieve", "retrieve"), ("generate", "llm.generate"), ("evaluate", "eval.answers")]
CONFIG = {"pipeline": "rag-big", "params": {"top_k": 5},
          "nodes": {"data": {"op": "load.dataset"}, "chunks": {"op": "chunk.tokens", "inputs": {"documents": "data"}},
                    "index": {"op": "index.build", "inputs": {"chunks": "chunks"}},
                    "retrieve": {"op": "retrieve", "inputs": {"index": "index", "questions": "data.questions"}},
                    "generate": {"op": "llm.generate", "inputs": {"items": "retrieve"}},
                    "evaluate": {"op": "eval.answers", "inputs": {"answers": "generate", "questions": "data"}}}}
WORDS = ("retrieval graph answer question index chunk embedding model score passage context memo cache "
         "token budget study trial metric store node").split()


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def item_row(rng: random.Random, i: int) -> dict:
    hits = [{"chunk_id": f"doc{rng.randrange(500)}#{k}", "text": sentence(rng, 20),
             "score": round(1 - 0.1 * k - rng.random() * 0.05, 4)} for k in range(5)]
    return {"id": f"q{i:05d}", "question": sentence(rng, 10) + "?", "hits": hits, "answer": sentence(rng, 4),
            "gold": [sentence(rng, 4)], "f1": round(rng.random(), 3), "em": float(rng.random() > 0.5)}


def make(root: Path, runs: int, calls: int, items: int, trials: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    if root.exists():
        shutil.rmtree(root)
    store = Store(root)
    big_run = f"run-{0:05d}"
    for r in range(runs):
        run_id = f"run-{r:05d}"
        store.create_run(run_id, "rag-big", "bench.yaml", CONFIG, len(NODES))
        store.add_nodes(run_id, [(n, op, "1", f"{run_id}-{n}", json.dumps({"top_k": 5}), False) for n, op in NODES])
        for n, _ in NODES:
            store.update_node(run_id, n, status="succeeded", duration_s=rng.random(), output_preview=f"{n}: ...")
        if r == 0:
            rows = [(i, f"q{i:05d}", json.dumps(item_row(rng, i))) for i in range(items)]
            store.save_result(f"{run_id}-evaluate", "eval.answers", "evaluate", {"n": items}, "metrics", rows)
        metrics = {"f1": rng.random(), "em": rng.random(), "recall@5": rng.random()}
        store.record_metrics(run_id, "evaluate", "metrics", metrics)
        store.flush()
        store.finish_run(run_id, "succeeded", nodes_cached=rng.randrange(6), llm_calls=calls // runs,
                         cost_usd=rng.random() / 10, metrics={"evaluate": metrics})
    log = CallStore(store, None)
    spread = (calls // 2) // max(1, runs - 1)
    plan = [(big_run, calls - spread * (runs - 1))] + [(f"run-{r:05d}", spread) for r in range(1, runs)]
    for run_id, n in plan:  # one transaction per call, as the gateway writes them (the store owns transactions)
        log.run_id = run_id
        for i in range(n):
            messages = [{"role": "system", "content": "Answer from the context."},
                        {"role": "user", "content": f"Context: {sentence(rng, 60)}\nQuestion: {sentence(rng, 10)}?"}]
            failed = rng.random() < 0.01
            log.log_call(node="generate", item=f"q{i:05d}", model="openai/gpt-4o-mini", request_hash=f"{run_id}-{i}",
                         messages=messages, params={"temperature": 0}, response=None if failed else sentence(rng, 12),
                         prompt_tokens=rng.randrange(200, 900), completion_tokens=rng.randrange(5, 40),
                         cost_usd=rng.random() / 1e4, latency_s=rng.random() * 2, cache_hit=rng.random() < 0.3,
                         error="RateLimitError: slow down" if failed else None)
    store.close()
    _study(root / "store.db", trials, rng)


def _study(db_path: Path, trials: int, rng: random.Random) -> None:
    """Studies have no public writer outside `pipe tune`: rows as documented in docs/store.md."""
    db = sqlite3.connect(db_path)
    now = time.time()
    with db:
        db.execute("INSERT INTO studies (id, name, graph_name, graph_file, strategy, objective_json,"
                   " space_json, settings_json, status, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                   ("study-big", "big-study", "rag-big", "bench.yaml", "random",
                    json.dumps({"metric": "f1", "direction": "maximize"}), json.dumps({}), None, "finished", now,
                    now))
        rows = []
        for t in range(trials):
            config = {"top_k": rng.choice([3, 5, 8, 12]), "chunk_size": rng.choice([128, 256, 512]),
                      "retriever": rng.choice(["bm25", "dense", "hybrid"])}
            value = rng.random()
            rows.append(("study-big", t, "complete", json.dumps(config), f"h{t}", value,
                         json.dumps({"f1": value, "em": value * 0.8}), f"run-{t:05d}", None, rng.random() / 10,
                         10, 2, rng.random() * 10, None, now + t, now + t + 1))
        db.executemany("INSERT INTO trials (study_id, number, state, config_json, config_hash, value,"
                   " metrics_json, run_id, budget, cost_usd, llm_calls, cache_hits, duration_s, error,"
                   " started_at, ended_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("store", type=Path)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--trials", type=int, default=300)
    args = parser.parse_args()
    t0 = time.perf_counter()
    make(args.store, args.runs, args.calls, args.items, args.trials)
    size = (args.store / "store.db").stat().st_size / 2**20
    print(f"store {args.store}: {args.runs} runs, {args.calls} LLM calls, {args.items} items, {args.trials} trials;"
          f" {size:.0f} MiB, built in {time.perf_counter() - t0:.1f}s")


if __name__ == "__main__":
    main()
