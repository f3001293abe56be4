"""Retrieval quality on HotpotQA and MuSiQue (../shared/data): recall@2/5/10 of BM25, dense (MiniLM), hybrid
(RRF) and two-hop hybrid retrieval, across chunk sizes, with the project's own ops.

    python bench/retrieval/quality.py                      # both data sets, chunk sizes 512 (whole passages), 128
    python bench/retrieval/quality.py --sizes 512 --data hotpotqa

Passages of all 100 questions are pooled into one corpus; gold = supporting titles. Recall@k = share of a
question's gold titles among its top k hits (at most one hit per passage), averaged over questions; "id R@5"
counts gold passage ids instead of titles.
Embeddings are cached in a run store (default bench/retrieval/.pipe), so a second run takes seconds.
Reference points (whole paragraphs, MiniLM + bm25s): HotpotQA hybrid-RRF R@5 0.805 (BM25 0.76, dense 0.79);
MuSiQue dense R@5 0.624 (BM25 0.535).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_context, load, print_table  # noqa: E402
from pipec.ops.text.chunkers import make_chunks  # noqa: E402
from pipec.ops.text.chunking import token_spans  # noqa: E402
from pipec.ops.text.embedders import parse_embedder  # noqa: E402
from pipec.ops.text.indexes import BM25Index, HybridIndex  # noqa: E402
from pipec.ops.text.multihop import limit_per_doc, multi_hop  # noqa: E402
from pipec.ops.text.retrievers import dense_index  # noqa: E402
from pipec.ops.text.scoring import recall_at  # noqa: E402

KS = (2, 5, 10)
TWO_HOP = {"seeds": 5, "depth": 20, "expand_with": "text", "rrf_k": 10, "seed_chars": 200, "drop_title": True}
# seed_chars: the first 200 characters of a seed passage (its first sentence or two) make a sharper second query
# than 600. drop_title: the second query leaves out the seed's title words (MuSiQue best R@5 0.716 -> 0.783,
# HotpotQA best 0.945 -> 0.950; `--keep-seed-title` compares)
# (label, index, title-link bonus): a large bonus (0.2) first, then a small one (0.03; the op's default is 0.05)
TWO_HOP_RUNS = [("2-hop hybrid-rrf", "hybrid-rrf", 0.2), ("2-hop dense", "dense", 0.2),
                ("2-hop dense, link 0.03", "dense", 0.03), ("2-hop hybrid-weighted, link 0.03", "hybrid-weighted", 0.03)]


def recalls(questions, chunks, ranked) -> list[float]:
    """R@2/5/10 against gold titles, then R@5 against gold passage ids (MuSiQue repeats titles: several passages
    of one article, only one of them gold)."""
    out = []
    for k in KS:
        out.append(sum(recall_at([chunks[r].title for r, _ in rk], set(q.gold_titles), k)
                       for q, rk in zip(questions, ranked, strict=True)) / len(questions))
    out.append(sum(recall_at([chunks[r].doc_id for r, _ in rk], set(q.gold_ids), 5)
                   for q, rk in zip(questions, ranked, strict=True)) / len(questions))
    return out


def evaluate(ctx, name: str, size: int, embedder: str) -> list[list]:
    docs, questions = load(name)
    chunks = make_chunks(docs, lambda t: token_spans(t, size, size // 8))
    t0 = time.perf_counter()
    dense = asyncio.run(dense_index(ctx, chunks, parse_embedder(embedder), "auto", True))
    embed_s = time.perf_counter() - t0
    sparse = BM25Index(chunks)
    indexes = {"bm25": sparse, "dense": dense, "hybrid-rrf": HybridIndex(dense, sparse),
               "hybrid-weighted": HybridIndex(dense, sparse, "weighted", 0.6)}
    texts = [q.question for q in questions]
    rows = []
    for label, index in indexes.items():
        ranked = asyncio.run(index.search(ctx, texts, 100))
        ranked = [limit_per_doc(chunks, r, 1)[:max(KS)] for r in ranked]
        rows.append([name, size, len(chunks), label, *recalls(questions, chunks, ranked)])
    for label, index, link_weight in TWO_HOP_RUNS:
        index = indexes[index]
        settings = {**TWO_HOP, "link_weight": link_weight}
        ranked = asyncio.run(multi_hop(ctx, index, texts, max(KS), 2, per_doc=1, **settings))
        rows.append([name, size, len(chunks), label, *recalls(questions, chunks, ranked)])
    print(f"  {name} size {size}: {len(chunks)} chunks, index built in {embed_s:.1f} s (embeddings cached after "
          "the first run)", file=sys.stderr)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", nargs="+", default=["hotpotqa", "musique"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[512, 128], help="chunk sizes in MiniLM tokens "
                        "(512: whole passages, the model reads the first 256)")
    parser.add_argument("--embedder", default="minilm")
    parser.add_argument("--seed-chars", type=int, default=TWO_HOP["seed_chars"],
                        help="two-hop: characters of the seed passage added to the second query")
    parser.add_argument("--keep-seed-title", action="store_true",
                        help="two-hop: keep the seed's title words in the second query (the earlier method)")
    parser.add_argument("--store", default=str(Path(__file__).resolve().parent / ".pipe"),
                        help="run store for the embedding cache ('' for none)")
    args = parser.parse_args()
    TWO_HOP["seed_chars"] = args.seed_chars
    TWO_HOP["drop_title"] = not args.keep_seed_title
    ctx = bench_context(Path(args.store) if args.store else None)
    rows = []
    for name in args.data:
        if load(name) is None:
            continue
        for size in args.sizes:
            rows += evaluate(ctx, name, size, args.embedder)
    print_table(f"retrieval recall ({args.embedder}; 100 questions each; two-hop settings: {TWO_HOP})",
                ["data", "chunk", "chunks", "retriever", *[f"R@{k}" for k in KS], "id R@5"], rows)


if __name__ == "__main__":
    main()
