"""Index and retrieval ops: build dense / BM25 / hybrid indexes over chunks; retrieve ranked hits for a batch
of questions (one hop, or two hops seeded by the first hop's passages)."""

from __future__ import annotations

import asyncio
from typing import Literal

from pipec.compiler.op import In, Op, OpParams, Out
from pipec.ops.data import Hit, Retrieval
from pydantic import Field

from .documents import citation
from .embedders import embed_texts, record_text
from .incremental import bm25_incrementally, dense_incrementally
from .indexes import BM25Index, DenseIndex, FaissKind, HybridIndex
from .multihop import limit_per_doc, multi_hop


class DenseParams(OpParams):
    faiss: FaissKind = Field("auto", description="exact (flat) up to 50k chunks, HNSW up to 1M, IVF beyond")
    with_title: bool = Field(True, description="prefix each chunk with its document title")


class BM25Params(OpParams):
    k1: float = Field(1.5, gt=0, description="BM25 term-frequency saturation")
    b: float = Field(0.75, ge=0, le=1, description="BM25 length normalisation")
    with_title: bool = Field(True, description="index each chunk with its document title")


class FusionParams(OpParams):
    fusion: Literal["rrf", "weighted"] = Field("rrf", description="reciprocal rank fusion or weighted scores")
    dense_weight: float = Field(0.5, ge=0, le=1, description="weight of the dense list (BM25 gets 1 - it)")
    rrf_k: int = Field(60, ge=1, description="RRF constant")
    depth: int = Field(50, ge=1, description="candidates taken from each list before fusing")


async def dense_index(ctx, chunks, embedder, faiss_kind: str, with_title: bool, op=None) -> DenseIndex:
    """The index over `chunks`; given the op (inside a run), only chunk texts that the previous index of the
    node's lineage lacks are embedded (ops/text/incremental.py): the same index as a rebuild."""
    if op is not None:
        index, stats = await dense_incrementally(ctx, op, chunks, embedder, faiss_kind, with_title)
        if hasattr(ctx, "log"):
            ctx.log(stats.summary("embedded"))
        return index
    vectors = await embed_texts(ctx, embedder, [record_text(c, with_title) for c in chunks])
    return await asyncio.to_thread(DenseIndex, chunks, embedder, vectors, faiss_kind, with_title)


class IndexDense(Op):
    """A faiss inner-product index over the chunks' embeddings (computed and cached per model and text, or taken
    from an embed.documents node over the same chunks)."""

    name = "index.dense"
    Params = DenseParams
    inputs = {"chunks": In("Documents"), "embedder": In("Embedder", "also embeds the queries"),
              "embeddings": In("Embeddings", "precomputed vectors of these chunks", required=False)}
    outputs = {"index": Out("Index")}

    async def run(self, ctx, chunks, embedder, embeddings=None):
        p = self.params
        if embeddings is None:
            return {"index": await dense_index(ctx, chunks, embedder, p.faiss, p.with_title, op=self)}
        if embeddings.model != embedder.cache_name:
            raise ValueError(f"the embeddings come from '{embeddings.model}' but the embedder is "
                             f"'{embedder.cache_name}': queries and chunks must use the same model")
        row = {cid: i for i, cid in enumerate(embeddings.ids)}
        missing = [c.id for c in chunks if c.id not in row]
        if missing:
            raise ValueError(f"{len(missing)} chunks have no embedding (first: {missing[0]!r}); embed the same chunks")
        vectors = embeddings.vectors[[row[c.id] for c in chunks]]
        return {"index": await asyncio.to_thread(DenseIndex, chunks, embedder, vectors, p.faiss, p.with_title)}


class IndexBM25(Op):
    """A BM25 index (bm25s) over the chunks' words (lower-cased, English stop words removed)."""

    name = "index.bm25"
    Params = BM25Params
    inputs = {"chunks": In("Documents")}
    outputs = {"index": Out("Index")}

    def run(self, ctx, chunks):
        p = self.params
        index, stats = bm25_incrementally(ctx, self, chunks, p.with_title, p.k1, p.b)
        ctx.log(stats.summary("tokenized"))
        return {"index": index}


class IndexHybrid(Op):
    """Fuse a dense and a BM25 index over the same chunks (RRF or weighted scores)."""

    name = "index.hybrid"
    inline = True
    Params = FusionParams
    inputs = {"dense": In("Index", "an index.dense result"), "sparse": In("Index", "an index.bm25 result")}
    outputs = {"index": Out("Index")}

    def run(self, ctx, dense, sparse):
        p = self.params
        if not isinstance(dense, DenseIndex) or not isinstance(sparse, BM25Index):
            raise TypeError("index.hybrid takes an index.dense result as `dense` and an index.bm25 one as `sparse`")
        return {"index": HybridIndex(dense, sparse, p.fusion, p.dense_weight, p.rrf_k, p.depth)}


class IndexBuild(Op):
    """One op for any retriever kind (handy as a tuning dimension): dense, bm25 or hybrid."""

    name = "index.build"

    class Params(FusionParams, DenseParams, BM25Params):
        kind: Literal["dense", "bm25", "hybrid"] = Field("hybrid", description="which retriever")

    inputs = {"chunks": In("Documents"), "embedder": In("Embedder", required=False)}
    outputs = {"index": Out("Index")}

    async def run(self, ctx, chunks, embedder=None):
        p = self.params
        if p.kind != "bm25" and embedder is None:
            raise ValueError(f"index kind '{p.kind}' needs the `embedder` input (an embed.model node)")
        sparse = await asyncio.to_thread(BM25Index, chunks, p.with_title, p.k1, p.b) if p.kind != "dense" else None
        dense = await dense_index(ctx, chunks, embedder, p.faiss, p.with_title, op=self) if p.kind != "bm25" else None
        if p.kind == "hybrid":
            return {"index": HybridIndex(dense, sparse, p.fusion, p.dense_weight, p.rrf_k, p.depth)}
        return {"index": dense or sparse}


class Retrieve(Op):
    """Ranked hits with scores for every question (queries batched). `hops: 2` (or 3) adds hops whose queries
    are the question plus each of the first hop's top `seeds` passages (or titles), minus the seed's title
    words; passage pairs are ranked by both hops' scores, with a bonus for titles mentioned in the question or
    the seed passage."""

    name = "retrieve"

    class Params(OpParams):
        top_k: int = Field(5, ge=1, le=1000, description="hits per question")
        hops: int = Field(1, ge=1, le=3, description="1, or 2-3 for multi-hop retrieval")
        seeds: int = Field(5, ge=1, le=50, description="hop 2+: passages (chains) that seed new queries")
        depth: int = Field(20, ge=1, le=1000, description="hop 2: hits per query before fusion")
        expand_with: Literal["text", "title"] = Field("text", description="hop 2: add the seed's text or title")
        seed_chars: int = Field(200, ge=20, le=10_000, description="hop 2: characters of the seed's text added")
        drop_seed_title: bool = Field(True, description="hop 2: drop the seed's title words from the question "
                                                        "and the seed text (look for what the seed adds)")
        link_weight: float = Field(0.05, ge=0, description="hop 2: bonus for a passage whose title the question "
                                                           "or the seed passage mentions (0: off)")
        rrf_k: int = Field(10, ge=1, description="hop 2: rank score = 1 / (rrf_k + rank)")
        per_doc: int = Field(0, ge=0, description="at most this many chunks per document (0: no limit)")

    inputs = {"index": In("Index"), "questions": In("Questions")}
    outputs = {"retrievals": Out("Retrievals")}

    async def run(self, ctx, index, questions):
        p = self.params
        texts = [q.meta.get("search_query") or q.question for q in questions]  # llm.rewrite sets a query
        if p.hops > 1:
            ranked = await multi_hop(ctx, index, texts, p.top_k, p.hops, p.seeds, p.depth, p.expand_with,
                                     p.link_weight, p.rrf_k, p.per_doc, p.seed_chars,
                                     p.drop_seed_title)
        else:
            depth = p.top_k * 4 if p.per_doc else p.top_k
            ranked = [limit_per_doc(index.chunks, r, p.per_doc)[:p.top_k]
                      for r in await index.search(ctx, texts, depth)]
        ctx.progress(len(questions), len(questions))
        out = []
        for q, hits in zip(questions, ranked, strict=False):
            chunks = [index.chunks[row] for row, _ in hits]
            out.append(Retrieval(q.id, q.question, [Hit(c.id, c.doc_id, c.text, c.title, s, citation(c.meta))
                                                    for c, (_, s) in zip(chunks, hits, strict=False)]))
        return {"retrievals": out}
