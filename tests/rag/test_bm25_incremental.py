"""index.bm25 tokenizes only changed chunk texts, and its index equals a rebuild from scratch."""

from __future__ import annotations

import random

import numpy as np
from pipec.compiler.store import Store, clear_process_caches
from pipec.ops.data import Chunk
from pipec.ops.text.indexes import BM25Index
from pipec.ops.text.retrievers import IndexBM25

from .test_incremental import QUERIES, WORDS, computed, run_node


def chunk(i: int, seed: int) -> Chunk:
    rng = random.Random(seed)
    return Chunk(f"c{i}", f"d{i // 2}", " ".join(rng.choice(WORDS) for _ in range(12)), f"Title {i % 5}")


def same_index(a: BM25Index, b: BM25Index) -> None:
    assert a.chunks == b.chunks and a.bm25.vocab_dict == b.bm25.vocab_dict
    for name in ("data", "indices", "indptr"):
        assert np.array_equal(a.bm25.scores[name], b.bm25.scores[name])
    assert a.search_texts(QUERIES, 5) == b.search_texts(QUERIES, 5)


def test_edits_tokenize_only_changed_chunks_and_equal_a_rebuild(tmp_path):
    clear_process_caches()
    store = Store(tmp_path / "store")
    op = IndexBM25(IndexBM25.Params())
    chunks = [chunk(i, i) for i in range(40)]
    out, log = run_node(store, op, "bm25", chunks=chunks)
    assert computed(log, "tokenized") == 40
    rng = random.Random(3)
    for step in range(5):
        chunks = list(chunks)
        action = rng.choice(["edit", "add", "delete"])
        if action == "edit":
            i = rng.randrange(len(chunks))
            chunks[i] = chunk(i, 1000 + step)
        elif action == "add":
            chunks.insert(rng.randrange(len(chunks)), chunk(100 + step, 2000 + step))
        else:
            del chunks[rng.randrange(len(chunks))]
        clear_process_caches()  # a new process: tokens come from the lineage memo, not the per-process memo
        out, log = run_node(store, op, "bm25", chunks=chunks)
        assert computed(log, "tokenized") == (0 if action == "delete" else 1), (step, action)
        same_index(out["index"], BM25Index(chunks))


def test_other_params_do_not_reuse(tmp_path):
    store = Store(tmp_path / "store")
    chunks = [chunk(i, i) for i in range(10)]
    run_node(store, IndexBM25(IndexBM25.Params()), "bm25", chunks=chunks)
    out, log = run_node(store, IndexBM25(IndexBM25.Params(with_title=False)), "bm25", chunks=chunks)
    assert computed(log, "tokenized") == 10
    same_index(out["index"], BM25Index(chunks, with_title=False))
