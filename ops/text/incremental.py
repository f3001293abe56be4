"""Incremental chunking and dense indexing: a re-run after editing, adding or deleting one document of a large
folder redoes the work of that document only.

Each node stays a pure function of its inputs (its key is by content), but inside the node the work is done per
document (chunkers) or per chunk text (dense indexes), reusing the previous result of the same node *lineage*
(`ctx.cache.lineage`: same op, node name, parameters, embedder and code; compiler/store/lineage.py):

- a chunker reuses the previous chunks of every document whose content hash (id, title, text, meta) is unchanged;
- `index.bm25` reuses the previous tokens of every chunk whose text is unchanged (tokenizing was about half of
  its build) and builds the bm25s index from the same token lists a rebuild tokenizes, so it is the same index;
- a dense index reuses the previous vector of every chunk whose text (as embedded) is unchanged, embeds only the
  others, and lays the vectors out in the order of the chunks, so the faiss index it builds is the one a rebuild
  from scratch builds (flat: the same vectors in the same rows; a flat index is a plain array, so this copy is the
  whole cost of the update). An IVF index cannot give its vectors back: it is re-embedded through the embedding
  cache as before.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipec.ops.data import Chunk, Document

if TYPE_CHECKING:
    import numpy as np

    from .embedders import EmbedderSpec
    from .indexes import DenseIndex


@dataclass
class Reuse:
    """What an incremental step reused and what it computed (logged on the node, counted by tests)."""

    reused: int = 0
    computed: int = 0
    unit: str = "documents"

    def summary(self, what: str) -> str:
        return f"{what}: {self.computed} {self.unit} computed, {self.reused} reused from the previous run"


@cache
def code_of(*modules: str) -> str:
    """A hash of the source files of these modules of this package (part of every lineage key)."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in modules:
        digest.update((here / f"{name}.py").read_bytes())
    return digest.hexdigest()[:16]


def lineage_key(op: Any, node: str, code: str, **extra: Any) -> str:
    from pipec.compiler.fingerprint import hash_value

    return hash_value({"op": op.name, "version": op.version, "node": node, "params": op.params.model_dump(),
                       "code": code, **extra})


def lineage_cache(ctx: Any) -> Any:
    return getattr(getattr(ctx, "cache", None), "lineage", None)


def doc_hash(doc: Document) -> str:
    blob = json.dumps([doc.id, doc.title, doc.text, doc.meta], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


# --- chunkers -------------------------------------------------------------------------------------------------

def chunk_incrementally(ctx: Any, op: Any, documents: list[Document], make) -> tuple[list[Chunk], Reuse]:
    """`make([doc])` for the documents that changed since this node lineage's previous run, the previous chunks
    for the others; the same list of chunks as `make(documents)`."""
    lineage, node = lineage_cache(ctx), getattr(ctx, "node", "")
    key = lineage_key(op, node, code_of("chunkers", "chunking", "documents"))
    hashes = {d.id: doc_hash(d) for d in documents}
    previous = lineage.previous(key) if lineage is not None and len(hashes) == len(documents) else None
    old_hashes, old_chunks = _previous_chunks(previous)
    out, stats = [], Reuse()
    for doc in documents:
        if old_hashes.get(doc.id) == hashes[doc.id]:
            out.extend(old_chunks.get(doc.id, ()))
            stats.reused += 1
        else:
            out.extend(make([doc]))
            stats.computed += 1
    if lineage is not None and len(hashes) == len(documents):  # duplicate document ids: no per-document memo
        lineage.record(key, node, getattr(ctx, "cache_key", ""), hashes)
    return out, stats


def _previous_chunks(previous: Any) -> tuple[dict[str, str], dict[str, list[Chunk]]]:
    if previous is None or not isinstance(previous.memo, dict):
        return {}, {}
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in previous.outputs.get("chunks") or ():
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    return previous.memo, by_doc


# --- dense indexes --------------------------------------------------------------------------------------------

async def dense_incrementally(ctx: Any, op: Any, chunks: list[Chunk], embedder: EmbedderSpec, faiss_kind: str,
                              with_title: bool) -> tuple[DenseIndex, Reuse]:
    """The DenseIndex a rebuild makes, embedding only the chunk texts the lineage's previous index lacks."""
    import asyncio

    from .embedders import embed_texts, record_text, text_hash

    lineage, node = lineage_cache(ctx), getattr(ctx, "node", "")
    key = lineage_key(op, node, code_of("indexes", "embedders", "hashing"), embedder=embedder.cache_name)
    texts = [record_text(c, with_title) for c in chunks]
    keys = [text_hash(t) for t in texts]
    previous = lineage.previous(key) if lineage is not None else None
    found = await asyncio.to_thread(_previous_vectors, previous, embedder, with_title, set(keys))
    todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in found}
    if todo:
        new = await embed_texts(ctx, embedder, list(todo.values()))
        found.update(zip(todo, new, strict=True))
    stats = Reuse(reused=len(chunks) - sum(1 for k in keys if k in todo), unit="chunks")
    stats.computed = len(chunks) - stats.reused
    index = await asyncio.to_thread(_build, chunks, embedder, keys, found, faiss_kind, with_title)
    if lineage is not None:
        lineage.record(key, node, getattr(ctx, "cache_key", ""), None)
    return index, stats


def _previous_vectors(previous: Any, embedder: EmbedderSpec, with_title: bool, wanted: set[str]) -> dict:
    from .embedders import record_text, text_hash
    from .indexes import DenseIndex

    old = previous.outputs.get("index") if previous is not None else None
    if not isinstance(old, DenseIndex) or old.embedder.cache_name != embedder.cache_name:
        return {}
    vectors = old.vectors()
    if vectors is None:
        return {}
    found = {}
    for row, chunk in enumerate(old.chunks):
        k = text_hash(record_text(chunk, with_title))
        if k in wanted:
            found[k] = vectors[row]
    return found


def _build(chunks, embedder, keys, found, faiss_kind, with_title) -> DenseIndex:
    import numpy as np

    from .indexes import DenseIndex

    dim = next(iter(found.values())).shape[0] if found else (embedder.dim or 0)
    matrix: np.ndarray = np.empty((len(keys), dim), dtype=np.float32)
    for row, k in enumerate(keys):
        matrix[row] = found[k]
    return DenseIndex(chunks, embedder, matrix, faiss_kind, with_title)


# --- BM25 -----------------------------------------------------------------------------------------------------

def bm25_incrementally(ctx: Any, op: Any, chunks: list[Chunk], with_title: bool, k1: float, b: float):
    """The BM25Index a rebuild makes, tokenizing only the chunk texts the lineage's previous build lacked."""
    from .embedders import record_text, text_hash
    from .indexes import BM25Index, bm25_tokens

    lineage, node = lineage_cache(ctx), getattr(ctx, "node", "")
    key = lineage_key(op, node, code_of("indexes", "normalize"))
    texts = [record_text(c, with_title) for c in chunks]
    keys = [text_hash(t) for t in texts]
    memo = lineage.memo(key) if lineage is not None else None
    old = dict(zip(memo["keys"], memo["tokens"], strict=True)) if isinstance(memo, dict) else {}
    tokens, stats = [], Reuse(unit="chunks")
    for k, text in zip(keys, texts, strict=True):
        found = old.get(k)
        if found is None:
            found = bm25_tokens(text)
            stats.computed += 1
        else:
            stats.reused += 1
        tokens.append(found)
    index = BM25Index(chunks, with_title, k1, b, tokens=tokens)
    if lineage is not None:
        lineage.record(key, node, getattr(ctx, "cache_key", ""), {"keys": keys, "tokens": tokens})
    return index, stats
