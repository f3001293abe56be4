"""Incremental re-indexing: editing, adding or deleting one document re-chunks and re-embeds only that document,
and the index equals a rebuild from scratch (same chunks, same search results and scores)."""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pipec.compiler.context import RunCaches
from pipec.compiler.store import Store
from pipec.compiler.store.embeddings import EmbeddingCache
from pipec.compiler.store.lineage import LineageCache
from pipec.compiler.store.parts import PartCache
from pipec.ops.data import Document
from pipec.ops.text.chunkers import ChunkSentences
from pipec.ops.text.embedders import parse_embedder
from pipec.ops.text.retrievers import IndexDense

from .helpers import ctx

WORDS = ("river city tower bridge museum capital music language library vector search paris berlin rome "
         "painter poet king war treaty island mountain lake train harbour").split()
QUERIES = ["capital city river", "painter poet museum", "vector search library", "island harbour train"]
KEYS = itertools.count()
HASHING = parse_embedder("hashing:64")


def text_of(seed: int, n: int = 12) -> str:
    words = [WORDS[(seed * 7 + i * (seed % 5 + 1)) % len(WORDS)] for i in range(n)]
    return ". ".join(" ".join(words[i:i + 4]).capitalize() for i in range(0, n, 4)) + "."


def run_node(store, op, node: str, **inputs):
    """Run an op as the executor does: a fresh context per run, the result saved under its (new) key."""
    c = ctx(store)
    c.cache = RunCaches(EmbeddingCache(store), PartCache(store), LineageCache(store))
    c.node, c.cache_key = node, f"key-{next(KEYS)}"
    out = op.run(c, **inputs)
    out = asyncio.run(out) if asyncio.iscoroutine(out) else out
    if store is not None:
        store.save_result(c.cache_key, op.name, node, out, preview="")
    return out, c.log_lines


def ingest(store, docs):
    chunker = ChunkSentences(ChunkSentences.Params(size=8))
    dense = IndexDense(IndexDense.Params(faiss="flat"))
    chunks, chunk_log = run_node(store, chunker, "chunks", documents=docs)
    index, index_log = run_node(store, dense, "index", chunks=chunks["chunks"], embedder=HASHING)
    return chunks["chunks"], index["index"], chunk_log + index_log


def computed(log: list[str], what: str) -> int:
    line = next(m for m in log if m.startswith(what))
    return int(line.split(": ")[1].split()[0])


def searched(index):
    return asyncio.run(index.search(None, QUERIES, 5))


def folder(n: int) -> list[Document]:
    return [Document(f"d{i}", text_of(i), f"Doc {i}", {"source": f"d{i}.md"}) for i in range(n)]


def test_one_edit_add_delete_recomputes_that_document_only(tmp_path: Path):
    store = Store(tmp_path / "store")
    docs = folder(30)
    chunks, _, log = ingest(store, docs)
    assert computed(log, "chunked") == 30 and computed(log, "embedded") == len(chunks)
    _, _, log = ingest(store, docs)
    assert computed(log, "chunked") == 0 and computed(log, "embedded") == 0
    edited = [*docs]
    edited[7] = Document("d7", text_of(999, 16), "Doc 7", {"source": "d7.md"})
    chunks, index, log = ingest(store, edited)
    assert computed(log, "chunked") == 1
    assert computed(log, "embedded") == sum(c.doc_id == "d7" for c in chunks)
    assert computed(log, "embedded") > 0
    rebuilt_chunks, rebuilt, _ = ingest(None, edited)
    assert chunks == rebuilt_chunks and searched(index) == searched(rebuilt)
    added = [*edited, Document("new", text_of(4242), "New", {})]
    _, _, log = ingest(store, added)
    assert computed(log, "chunked") == 1
    deleted = added[:3] + added[4:]
    chunks, index, log = ingest(store, deleted)
    assert computed(log, "chunked") == 0 and computed(log, "embedded") == 0
    assert "d3" not in {c.doc_id for c in chunks} and index.index.ntotal == len(chunks)
    assert searched(index) == searched(ingest(None, deleted)[1])
    store.close()


def test_changed_params_or_embedder_do_not_reuse(tmp_path: Path):
    store = Store(tmp_path / "store")
    docs = folder(5)
    ingest(store, docs)
    chunker = ChunkSentences(ChunkSentences.Params(size=20))
    chunks, log = run_node(store, chunker, "chunks", documents=docs)
    assert computed(log, "chunked") == 5
    dense = IndexDense(IndexDense.Params(faiss="flat"))
    _, log = run_node(store, dense, "index", chunks=chunks["chunks"], embedder=parse_embedder("hashing:32"))
    assert computed(log, "embedded") == len(chunks["chunks"])
    store.close()


EDITS = st.lists(st.tuples(st.sampled_from(["edit", "add", "delete"]), st.integers(0, 10_000)),
                 min_size=1, max_size=6)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EDITS)
def test_random_edit_sequences_equal_a_rebuild(edits):
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "store")
        docs = folder(12)
        ingest(store, docs)
        for step, (kind, seed) in enumerate(edits):
            before = {d.id: d for d in docs}
            if kind == "edit" and docs:
                i = seed % len(docs)
                docs[i] = Document(docs[i].id, text_of(seed, 4 + seed % 20), docs[i].title, docs[i].meta)
            elif kind == "add":
                docs.insert(seed % (len(docs) + 1), Document(f"n{step}-{seed}", text_of(seed), f"New {seed}", {}))
            elif docs:
                docs.pop(seed % len(docs))
            changed = sum(1 for d in docs if before.get(d.id) != d)
            chunks, index, log = ingest(store, docs)
            assert computed(log, "chunked") == changed
            rebuilt_chunks, rebuilt, _ = ingest(None, docs)
            assert chunks == rebuilt_chunks
            if chunks:
                assert np.array_equal(index.vectors(), rebuilt.vectors())
                assert searched(index) == searched(rebuilt)
        store.close()
