"""Embedders: `minilm` (offline ONNX), `hashing` (no model) and any litellm embedding model (through the LLM
gateway). An `EmbedderSpec` travels on `Embedder` ports; `embed_texts` turns texts into unit vectors, batched,
and cached per (model, text hash) in the run store, so identical texts are embedded once across nodes and runs.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from pipec.compiler.errors import PipeError
from pipec.compiler.op import In, Op, OpParams, Out
from pydantic import Field

MINILM_NAME = "minilm-l6-v2-int8"
_memory: dict[tuple[str, str], np.ndarray] = {}
_memory_lock = threading.Lock()
MEMORY_LIMIT = 100_000  # vectors kept in memory per process (~150 MB at 384-d)
SQL_BATCH = 400


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
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def encode_local(spec: EmbedderSpec, texts: list[str], on_batch=None) -> np.ndarray:
    if spec.kind == "hashing":
        from . import hashing

        return hashing.encode(texts, spec.dim or 1024)
    from . import minilm

    return minilm.encode(texts, spec.batch_size, on_batch)


# --- the cache ------------------------------------------------------------------------------------------------

def cache_lookup(store: Any, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
    found: dict[str, np.ndarray] = {}
    with _memory_lock:
        for h in hashes:
            v = _memory.get((model, h))
            if v is not None:
                found[h] = v
    missing = [h for h in dict.fromkeys(hashes) if h not in found]
    if store is None or not missing:
        return found
    for i in range(0, len(missing), SQL_BATCH):
        part = missing[i:i + SQL_BATCH]
        rows = store.execute(f"SELECT text_hash, dim, vector FROM embedding_cache WHERE model=? AND text_hash IN "
                             f"({','.join('?' * len(part))})", [model, *part]).fetchall()
        for h, dim, blob in rows:
            found[h] = np.frombuffer(blob, dtype=np.float32, count=dim)
    return found


def cache_save(store: Any, model: str, vectors: dict[str, np.ndarray]) -> None:
    with _memory_lock:
        if len(_memory) + len(vectors) > MEMORY_LIMIT:
            _memory.clear()
        for h, v in vectors.items():
            _memory[(model, h)] = v
    if store is None:
        return
    items = list(vectors.items())
    for i in range(0, len(items), SQL_BATCH):
        part = items[i:i + SQL_BATCH]
        args: list[Any] = []
        for h, v in part:
            args += [model, h, int(v.shape[0]), np.ascontiguousarray(v, dtype=np.float32).tobytes()]
        store.execute("INSERT OR IGNORE INTO embedding_cache (model, text_hash, dim, vector) VALUES "
                      + ",".join(["(?,?,?,?)"] * len(part)), args)


# --- embedding ------------------------------------------------------------------------------------------------

async def embed_texts(ctx: Any, spec: EmbedderSpec, texts: list[str], progress: bool = True) -> np.ndarray:
    """Unit vectors for `texts` (n, d) float32; cached by (model, text hash) unless the embedder is `hashing`."""
    if not texts:
        return np.zeros((0, spec.dim or 0), dtype=np.float32)
    if spec.kind == "hashing":  # cheaper to compute than to look up
        return await asyncio.to_thread(encode_local, spec, texts)
    store = ctx.runtime.store if ctx is not None else None
    hashes = [text_hash(t) for t in texts]
    found = await asyncio.to_thread(cache_lookup, store, spec.cache_name, hashes)
    todo = list({h: t for h, t in zip(hashes, texts, strict=False) if h not in found}.items())
    report = _reporter(ctx, progress)
    if todo:
        new = await _compute(ctx, spec, [t for _, t in todo], report)
        computed = {h: new[i] for i, (h, _) in enumerate(todo)}
        await asyncio.to_thread(cache_save, store, spec.cache_name, computed)
        found.update(computed)
    return np.stack([found[h] for h in hashes]).astype(np.float32, copy=False)


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
    out = []
    for start in range(0, len(texts), spec.batch_size):
        vectors = await ctx.llm.embed(spec.model, texts[start:start + spec.batch_size])
        out.append(np.asarray(vectors, dtype=np.float32))
        if report:
            report(min(start + spec.batch_size, len(texts)), len(texts))
    matrix = np.concatenate(out)
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


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


class EmbedDocuments(Op):
    """Embed documents or chunks (batched, cached per model and text)."""

    name = "embed.documents"

    class Params(OpParams):
        with_title: bool = Field(True, description="prefix each text with its title")

    inputs = {"documents": In("Documents"), "embedder": In("Embedder")}
    outputs = {"embeddings": Out("Embeddings")}

    async def run(self, ctx, documents, embedder):
        texts = [record_text(d, self.params.with_title) for d in documents]
        vectors = await embed_texts(ctx, embedder, texts)
        return {"embeddings": Embeddings([d.id for d in documents], vectors, embedder.cache_name)}
