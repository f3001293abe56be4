"""Searchable indexes over chunks: dense (faiss), BM25 (bm25s) and hybrid fusion of the two.

Every index answers `await index.search(ctx, queries, k)` with, per query, a ranked list of (row, score) where
row indexes `index.chunks`. Indexes are picklable (faiss through `serialize_index`) so they are memoized.
"""

from __future__ import annotations

import asyncio
import math
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from pipec.compiler.process_caches import register_process_cache
from pipec.ops.data import Chunk

from .embedders import EmbedderSpec, embed_texts, record_text
from .normalize import fold

if TYPE_CHECKING:  # numpy is imported where vectors are searched: `pipe validate` never needs it
    import numpy as np

Ranked = list[tuple[int, float]]
FaissKind = Literal["auto", "flat", "hnsw", "ivf"]
FLAT_MAX = 50_000  # auto: exact search up to this many vectors
HNSW_MAX = 1_000_000  # auto: HNSW up to this many, IVF beyond
TOKENS_MEMO = 50_000  # texts whose BM25 tokens are kept per process


def choose_faiss(n: int, kind: str = "auto") -> str:
    if kind != "auto":
        return kind
    return "flat" if n <= FLAT_MAX else "hnsw" if n <= HNSW_MAX else "ivf"


def build_faiss(vectors: np.ndarray, kind: str, hnsw_m: int = 32, ef_search: int = 96, nprobe: int = 16):
    import faiss

    n, d = vectors.shape
    if kind == "flat":
        index = faiss.IndexFlatIP(d)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(d, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = ef_search
    elif kind == "ivf":
        nlist = max(1, min(int(4 * math.sqrt(n)), n // 39 or 1))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
        index.nprobe = nprobe
    else:
        raise ValueError(f"unknown faiss index kind {kind!r}")
    if n:
        index.add(vectors)
    return index


class DenseIndex:
    kind = "dense"

    def __init__(self, chunks: list[Chunk], embedder: EmbedderSpec, vectors: np.ndarray, faiss_kind: str = "auto",
                 with_title: bool = True):
        self.chunks, self.embedder, self.with_title = chunks, embedder, with_title
        self.faiss_kind = choose_faiss(len(chunks), faiss_kind)
        import numpy as np

        self.index = build_faiss(np.ascontiguousarray(vectors, dtype=np.float32), self.faiss_kind)

    def __getstate__(self) -> dict:
        """A flat index as its vectors (stored out of band by the codec, without faiss's serializer's copies),
        any other as faiss's serialized bytes."""
        import faiss

        state = dict(self.__dict__)
        if self.faiss_kind == "flat":
            n, d = self.index.ntotal, self.index.d
            state["index"] = None
            state["flat_vectors"] = faiss.rev_swig_ptr(self.index.get_xb(), n * d).reshape(n, d) if n else None
        else:
            state["index"] = faiss.serialize_index(self.index)
        return state

    def __setstate__(self, state: dict) -> None:
        import faiss

        vectors = state.pop("flat_vectors", None)
        if state.get("index") is not None:
            state["index"] = faiss.deserialize_index(state["index"])
        else:  # a flat index stored as its vectors
            import numpy as np

            dim = vectors.shape[1] if vectors is not None else state["embedder"].dim or 0
            state["index"] = build_faiss(vectors if vectors is not None else np.empty((0, dim), np.float32), "flat")
        self.__dict__.update(state)

    def vectors(self) -> np.ndarray | None:
        """The indexed vectors, row i for chunk i (None for an IVF index, which cannot give them back)."""
        if self.faiss_kind == "ivf":
            return None
        return self.index.reconstruct_n(0, self.index.ntotal) if self.index.ntotal else None

    def search_vectors(self, queries: np.ndarray, k: int) -> list[Ranked]:
        k = min(k, len(self.chunks))
        if k <= 0:
            return [[] for _ in range(len(queries))]
        import numpy as np

        scores, rows = self.index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return [[(int(r), float(s)) for r, s in zip(rr, ss, strict=False) if r >= 0] for rr, ss in zip(rows, scores, strict=False)]

    async def search(self, ctx: Any, queries: list[str], k: int) -> list[Ranked]:
        vectors = await embed_texts(ctx, self.embedder, queries, progress=False)
        return await asyncio.to_thread(self.search_vectors, vectors, k)

    def describe(self) -> str:
        return f"DenseIndex({len(self.chunks)} chunks, {self.embedder.cache_name}, faiss {self.faiss_kind})"


_WORD = re.compile(r"\w+", re.UNICODE)


def bm25_tokens(text: str) -> list[str]:
    return list(_bm25_tokens(text))


@register_process_cache
def forget_tokens() -> None:
    _bm25_tokens.cache_clear()


@lru_cache(maxsize=TOKENS_MEMO)
def _bm25_tokens(text: str) -> tuple[str, ...]:
    """Memoized per text: chunks, sentences and words are tokenized again by every index, reader and trial."""
    from bm25s.stopwords import STOPWORDS_EN

    stop = _stopwords(STOPWORDS_EN)
    folded = text.lower() if text.isascii() else fold(text)  # NFKD changes no ASCII text
    return tuple(w for w in _WORD.findall(folded) if w not in stop)


_STOP: frozenset | None = None


def _stopwords(words) -> frozenset:
    global _STOP
    if _STOP is None:
        _STOP = frozenset(words)
    return _STOP


class BM25Index:
    kind = "bm25"

    def __init__(self, chunks: list[Chunk], with_title: bool = True, k1: float = 1.5, b: float = 0.75,
                 tokens: list[list[str]] | None = None):
        """`tokens`: each chunk's `bm25_tokens` when known (incremental.py reuses the previous build's)."""
        import bm25s

        self.chunks, self.with_title = chunks, with_title
        self.bm25 = bm25s.BM25(k1=k1, b=b)
        if tokens is None:
            tokens = [bm25_tokens(record_text(c, with_title)) for c in chunks]
        corpus = [list(t) or [""] for t in tokens]
        if chunks:
            self.bm25.index(corpus, show_progress=False)

    def search_texts(self, queries: list[str], k: int) -> list[Ranked]:
        k = min(k, len(self.chunks))
        if k <= 0:
            return [[] for _ in queries]
        tokens = [bm25_tokens(q) or [""] for q in queries]
        rows, scores = self.bm25.retrieve(tokens, k=k, show_progress=False, n_threads=0)
        return [[(int(r), float(s)) for r, s in zip(rr, ss, strict=False) if s > 0] for rr, ss in zip(rows, scores, strict=False)]

    async def search(self, ctx: Any, queries: list[str], k: int) -> list[Ranked]:
        return await asyncio.to_thread(self.search_texts, queries, k)

    def describe(self) -> str:
        return f"BM25Index({len(self.chunks)} chunks)"


def fuse(lists: list[Ranked], method: str = "rrf", weights: list[float] | None = None, rrf_k: int = 60) -> Ranked:
    """Fuse ranked lists over the same rows: reciprocal rank fusion, or a weighted sum of min-max scores."""
    weights = weights or [1.0] * len(lists)
    total: dict[int, float] = {}
    for ranked, w in zip(lists, weights, strict=False):
        if not ranked:
            continue
        if method == "rrf":
            for rank, (row, _) in enumerate(ranked):
                total[row] = total.get(row, 0.0) + w / (rrf_k + rank + 1)
        else:
            scores = [s for _, s in ranked]
            lo, hi = min(scores), max(scores)
            for row, s in ranked:
                total[row] = total.get(row, 0.0) + w * ((s - lo) / (hi - lo) if hi > lo else 1.0)
    return sorted(total.items(), key=lambda x: (-x[1], x[0]))


class HybridIndex:
    """Dense and BM25 over the same chunks, fused by RRF or a weighted sum (`dense_weight`, BM25 gets 1 - it)."""

    kind = "hybrid"

    def __init__(self, dense: DenseIndex, sparse: BM25Index, fusion: str = "rrf", dense_weight: float = 0.5,
                 rrf_k: int = 60, depth: int = 50):
        if [c.id for c in dense.chunks] != [c.id for c in sparse.chunks]:
            raise ValueError("hybrid fusion needs a dense and a BM25 index over the same chunks")
        self.dense, self.sparse, self.chunks = dense, sparse, dense.chunks
        self.fusion, self.dense_weight, self.rrf_k, self.depth = fusion, dense_weight, rrf_k, depth

    async def search(self, ctx: Any, queries: list[str], k: int) -> list[Ranked]:
        vectors = await embed_texts(ctx, self.dense.embedder, queries, progress=False)
        return await asyncio.to_thread(self.search_vectors, vectors, queries, k)

    def search_vectors(self, vectors: np.ndarray, queries: list[str], k: int) -> list[Ranked]:
        """Both searches and the fusion, for queries already embedded."""
        depth = max(k, self.depth)
        dense = self.dense.search_vectors(vectors, depth)
        sparse = self.sparse.search_texts(queries, depth)
        w = [self.dense_weight, 1.0 - self.dense_weight]
        return [fuse([d, s], self.fusion, w, self.rrf_k)[:k] for d, s in zip(dense, sparse, strict=True)]

    def describe(self) -> str:
        return f"HybridIndex({len(self.chunks)} chunks, {self.fusion}, dense {self.dense.embedder.cache_name})"
