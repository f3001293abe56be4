"""Embedders: `minilm` (offline ONNX), `hashing` (no model) and any litellm embedding model (through the LLM
gateway). An `EmbedderSpec` travels on `Embedder` ports; `embed_texts` turns texts into unit vectors, batched,
and cached per (model, text key) through `ctx.cache.embeddings` (the store's one embedding cache), so identical
texts are embedded once across nodes and runs. Local vectors are cached a batch at a time as they complete;
litellm vectors are cached by the gateway as each request returns (the same cache: one key, one copy).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipec.compiler.errors import PipeError
from pipec.compiler.mapping import MapsItems
from pipec.compiler.op import In, Op, OpParams, Out
from pydantic import Field

if TYPE_CHECKING:  # numpy and the store are imported where vectors are made: `pipe validate` needs neither
    import numpy as np

MINILM_NAME = "minilm-l6-v2-int8"
SAVE_EVERY = 512  # local texts embedded between two cache writes (what a killed run keeps)


@dataclass(frozen=True)
class EmbedderSpec:
    """What an Embedder port carries: which model, how to batch. Vectors are always L2-normalised."""

    kind: str  # minilm | hashing | litellm
    model: str  # litellm model string, or the local model's name
    dim: int | None = None
    batch_size: int = 32

    @property
    def cache_name(self) -> str:
        return self.model if self.kind != "hashing" else f"hashing-{self.dim}"

    @property
    def local(self) -> bool:
        return self.kind in ("minilm", "hashing")

    def describe(self) -> str:
        return f"Embedder({self.cache_name})"


def parse_embedder(model: str, batch_size: int = 32, dim: int = 1024) -> EmbedderSpec:
    name = model.strip()
    if name.lower() in ("minilm", MINILM_NAME, "all-minilm-l6-v2"):
        return EmbedderSpec("minilm", MINILM_NAME, 384, batch_size)
    if name.lower().startswith("hashing"):
        _, _, size = name.partition(":")
        return EmbedderSpec("hashing", "hashing", int(size) if size else dim, batch_size)
    return EmbedderSpec("litellm", name, None, batch_size)


def text_hash(text: str) -> str:
    """The embedding cache's key of a text."""
    from pipec.compiler.store.embeddings import embedding_key

    return embedding_key(text)


def encode_local(spec: EmbedderSpec, texts: list[str], on_batch=None) -> np.ndarray:
    if spec.kind == "hashing":
        from . import hashing

        return hashing.encode(texts, spec.dim or 1024)
    from . import minilm

    return minilm.encode(texts, spec.batch_size, on_batch)


# --- embedding ------------------------------------------------------------------------------------------------

async def embed_texts(ctx: Any, spec: EmbedderSpec, texts: list[str], progress: bool = True) -> np.ndarray:
    """Unit vectors for `texts` (n, d) float32; cached by (model, text key) unless the embedder is `hashing`."""
    import numpy as np

    if not texts:
        return np.zeros((0, spec.dim or 0), dtype=np.float32)
    if spec.kind == "hashing":  # cheaper to compute than to look up
        return await asyncio.to_thread(encode_local, spec, texts)
    report = _reporter(ctx, progress)
    if not spec.local:  # the gateway caches these (one copy, as the model returned them)
        return _unit(await _compute(ctx, spec, texts, report))
    if ctx is not None:
        cache = ctx.cache.embeddings
    else:
        from pipec.compiler.store.embeddings import EmbeddingCache

        cache = EmbeddingCache()
    keys = [text_hash(t) for t in texts]
    found = await asyncio.to_thread(cache.get, spec.cache_name, keys)
    todo = list({k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items())
    for start in range(0, len(todo), SAVE_EVERY):
        part = todo[start:start + SAVE_EVERY]
        part_report = _offset_reporter(report, start, len(todo))
        new = await _compute(ctx, spec, [t for _, t in part], part_report)
        computed = {k: new[i] for i, (k, _) in enumerate(part)}
        await asyncio.to_thread(cache.put, spec.cache_name, computed)  # kept even if the run is killed next
        found.update(computed)
    return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)


def _unit(matrix: np.ndarray) -> np.ndarray:
    import numpy as np

    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def _offset_reporter(report, offset: int, total: int):
    if report is None:
        return None
    return lambda done, _total: report(offset + done, total)


def _reporter(ctx: Any, progress: bool):
    """Progress after each batch; stops a long embedding once the run is cancelled (Ctrl-C, budget)."""
    if ctx is None:
        return None

    def report(done: int, total: int) -> None:
        if getattr(ctx, "cancelled", False):
            raise PipeError("embedding stopped: the run was cancelled")
        if progress:
            ctx.progress(done, total)

    return report


async def _compute(ctx: Any, spec: EmbedderSpec, texts: list[str], report) -> np.ndarray:
    if spec.local:
        return await asyncio.to_thread(encode_local, spec, texts, report)
    if ctx is None:
        raise PipeError(f"embedding model '{spec.model}' needs the LLM gateway (run it inside a pipeline)")
    import numpy as np

    out = []
    for start in range(0, len(texts), spec.batch_size):
        vectors = await ctx.llm.embed(spec.model, texts[start:start + spec.batch_size])
        out.append(np.asarray(vectors, dtype=np.float32))
        if report:
            report(min(start + spec.batch_size, len(texts)), len(texts))
    return np.concatenate(out)


def embed_texts_sync(spec: EmbedderSpec, texts: list[str]) -> np.ndarray:
    """Local embedders only, without a run context (benchmarks, scripts)."""
    return asyncio.run(embed_texts(None, spec, texts))


@dataclass
class Embeddings:
    """Vectors for a list of records: `ids[i]` is the record of row i."""

    ids: list[str]
    vectors: np.ndarray
    model: str

    def describe(self) -> str:
        return f"Embeddings({self.model}, {self.vectors.shape[0]} x {self.vectors.shape[1]})"


def record_text(record: Any, with_title: bool) -> str:
    title = getattr(record, "title", "") or ""
    return f"{title}. {record.text}" if with_title and title and not record.text.startswith(title) else record.text


# --- ops ------------------------------------------------------------------------------------------------------

class EmbedderParams(OpParams):
    model: str = Field("minilm", description="minilm (offline ONNX), hashing[:DIM] (no model), or a litellm "
                                             "embedding model such as openai/text-embedding-3-small")
    batch_size: int = Field(32, ge=1, le=4096, description="texts per model call")
    dim: int = Field(1024, ge=16, le=1 << 20, description="vector size of the hashing embedder")


class EmbedModel(Op):
    """Choose an embedding model (a handle, not vectors): minilm, hashing or a litellm embedding model."""

    name = "embed.model"
    inline = True
    Params = EmbedderParams
    outputs = {"embedder": Out("Embedder")}

    def run(self, ctx, **_):
        p = self.params
        return {"embedder": parse_embedder(p.model, p.batch_size, p.dim)}


class EmbedDocuments(MapsItems, Op):
    """Embed documents or chunks (batched, cached per model and text); shardable (`settings.shards`)."""

    name = "embed.documents"
    shard_input = "documents"
    shard_remote = True  # a local model needs neither the gateway nor the store (a litellm one calls out)

    class Params(OpParams):
        with_title: bool = Field(True, description="prefix each text with its title")

    inputs = {"documents": In("Documents"), "embedder": In("Embedder")}
    outputs = {"embeddings": Out("Embeddings")}

    async def run(self, ctx, documents, embedder):
        return await self.run_mapped(ctx, {"documents": documents, "embedder": embedder})

    def prepare(self, ctx, inputs):
        return [(d.id, record_text(d, self.params.with_title)) for d in inputs["documents"]], None

    def shard_align(self, inputs):
        return inputs["embedder"].batch_size

    async def map_items(self, ctx, items, shared, inputs):
        return await embed_texts(ctx, inputs["embedder"], [text for _, text in items])

    def join_items(self, ctx, items, results, shared, inputs):
        return {"embeddings": Embeddings([i for i, _ in items], results, inputs["embedder"].cache_name)}
