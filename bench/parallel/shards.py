"""Sharded MiniLM embedding (embed.documents, settings.shards) of a 20k-passage corpus: 1 vs 2 workers.

    python bench/parallel/shards.py                       # 20,000 passages, 2 repeats, interleaved
    python bench/parallel/shards.py --passages 4000 --repeats 3

The corpus: windows of 48 words (stride 8) over the HotpotQA sample corpus and the SQuAD dev-half contexts of
../shared/data (real text, every passage distinct). Each configuration runs in a fresh store with cold process
caches (so every vector is computed), interleaved with the others in every repeat:

- one process, 1 thread: unsharded, onnxruntime with 1 intra-op thread (PIPEC_THREADS=1): one worker's speed;
- one process, 2 threads: unsharded, onnxruntime with 2 intra-op threads (the default of a plain `pipe run`);
- ray, 2 shards: `shards: 2, node_backend: ray`, two Ray tasks of 1 thread each (two worker processes).

The stored embeddings of the three are compared byte for byte (they must be equal). Prints wall seconds
(min / median / max), passages per second, and the ratio to one worker; the load average is printed before
and after (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
GRAPH = """
settings: {{shards: {shards}, node_backend: {backend}}}
nodes:
  docs: {{op: load.jsonl, params: {{path: {path}}}}}
  model: {{op: embed.model, params: {{model: minilm, batch_size: 32}}}}
  vectors: {{op: embed.documents, inputs: {{documents: docs, embedder: model}}}}
"""
CONFIGS = [("one process, 1 thread", 1, "local", "1"), ("one process, 2 threads", 1, "local", "2"),
           ("ray, 2 shards (2 x 1 thread)", 2, "ray", "1")]


def corpus(n: int, words: int = 48, stride: int = 8) -> list[dict[str, str]]:
    hotpot = json.loads((DATA / "hotpotqa" / "hotpot_train_sample100_corpus.json").read_text(encoding="utf-8"))
    squad = json.loads((DATA / "squad" / "squad_v2_dev_half_cs224n.json").read_text(encoding="utf-8"))
    texts = ["".join(s) for s in hotpot.values()]
    texts += [p["context"] for article in squad["data"] for p in article["paragraphs"]]
    tokens = " ".join(texts).split()
    rows = [{"id": f"w{i}", "text": " ".join(tokens[s:s + words])}
            for i, s in enumerate(range(0, len(tokens) - words, stride))]
    if len(rows) < n:
        raise SystemExit(f"the corpus gives {len(rows)} passages, fewer than {n}")
    return rows[:n]


def run_once(path: Path, shards: int, backend: str, threads: str, folder: Path) -> tuple[float, bytes]:
    from pipec.compiler.api import compile_text
    from pipec.compiler.executor import Executor
    from pipec.compiler.store import Store, clear_process_caches

    clear_process_caches()
    os.environ["PIPEC_THREADS"] = threads  # the driver's onnxruntime session (ray tasks set their own)
    graph = compile_text(GRAPH.format(shards=shards, backend=backend, path=path), base_dir=path.parent)
    store = Store(folder)
    t0 = time.perf_counter()
    result = Executor(graph, store).run()
    seconds = time.perf_counter() - t0
    assert result.status == "succeeded", result.error
    key = result.nodes["vectors"].key
    store.flush()
    blob = store.stored_bytes(key)
    store.close()
    return seconds, blob


def fmt(values: list[float]) -> str:
    return f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is not here (the shared benchmark data)")
        return 0
    import ray

    print(f"load average before: {os.getloadavg()}", flush=True)
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False,
             _temp_dir=tempfile.mkdtemp(prefix="pray", dir="/tmp"))
    times: dict[str, list[float]] = {name: [] for name, *_ in CONFIGS}
    blobs: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="bench-shards-") as tmp:
        path = Path(tmp) / "passages.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in corpus(args.passages)), encoding="utf-8")
        for repeat in range(args.repeats):
            for i, (name, shards, backend, threads) in enumerate(CONFIGS):
                seconds, blob = run_once(path, shards, backend, threads, Path(tmp) / f"s{repeat}-{i}")
                times[name].append(seconds)
                blobs.setdefault(name, blob)
                print(f"  {name}: {seconds:.1f} s", flush=True)
    ray.shutdown()
    same = len(set(blobs.values())) == 1
    base = statistics.median(times[CONFIGS[0][0]])
    print(f"\nSharded MiniLM embedding, {args.passages} passages, wall seconds (min / median / max of "
          f"{args.repeats}); stored embeddings byte-identical across configurations: {same}")
    print(f"{'configuration':<32} {'seconds':>20} {'passages/s':>11} {'/ 1 worker':>11}")
    for name, *_ in CONFIGS:
        median = statistics.median(times[name])
        print(f"{name:<32} {fmt(times[name]):>20} {args.passages / median:>11.0f} {median / base:>11.2f}")
    print(f"load average after: {os.getloadavg()}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
