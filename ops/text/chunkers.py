"""Chunker ops: documents -> chunks that keep their document id, title and character offsets."""

from __future__ import annotations

from pipec.compiler.op import In, Op, OpParams, Out
from pipec.ops.data import Chunk, Document
from pydantic import Field, model_validator

from .chunking import recursive_spans, sentence_chunks, token_spans
from .documents import chunk_meta
from .incremental import chunk_incrementally


class ChunkParams(OpParams):
    size: int = Field(200, ge=1, description="chunk size (unit depends on the chunker)")
    overlap: int = Field(0, ge=0, description="overlap between consecutive chunks (same unit)")

    @model_validator(mode="after")
    def _overlap_smaller(self):
        if self.overlap >= self.size:
            raise ValueError(f"overlap ({self.overlap}) must be smaller than size ({self.size})")
        return self


def make_chunks(documents: list[Document], spans_of) -> list[Chunk]:
    chunks = []
    for doc in documents:
        for i, (s, e) in enumerate(spans_of(doc.text)):
            chunks.append(Chunk(id=f"{doc.id}#{i}", doc_id=doc.id, text=doc.text[s:e], title=doc.title,
                                start=s, end=e, meta=chunk_meta(doc.meta, s)))
    return chunks


class _Chunker(Op):
    inputs = {"documents": In("Documents")}
    outputs = {"chunks": Out("Chunks")}

    def spans(self, text: str):  # pragma: no cover - abstract
        raise NotImplementedError

    def run(self, ctx, documents):
        """Documents unchanged since this node's previous run keep their chunks (ops/text/incremental.py)."""
        chunks, stats = chunk_incrementally(ctx, self, documents, lambda docs: make_chunks(docs, self.spans))
        ctx.log(stats.summary("chunked"))
        ctx.progress(len(documents), len(documents))
        return {"chunks": chunks}


class ChunkTokens(_Chunker):
    """Split documents into windows of `size` tokens (the MiniLM WordPiece tokenizer) with `overlap` tokens."""

    name = "chunk.tokens"
    Params = ChunkParams

    def spans(self, text):
        return token_spans(text, self.params.size, self.params.overlap)


class ChunkSentences(_Chunker):
    """Pack whole sentences into chunks of at most `size` words; `overlap` sentences repeat between chunks."""

    name = "chunk.sentences"

    class Params(ChunkParams):
        size: int = Field(120, ge=1, description="words per chunk (a longer sentence is a chunk of its own)")
        overlap: int = Field(0, ge=0, description="sentences repeated from the previous chunk")

    def spans(self, text):
        return sentence_chunks(text, self.params.size, self.params.overlap)


class ChunkRecursive(_Chunker):
    """Split recursively by separators (paragraph, line, sentence, word) into chunks of at most `size`
    characters, with up to `overlap` characters repeated."""

    name = "chunk.recursive"

    class Params(ChunkParams):
        size: int = Field(1000, ge=1, description="characters per chunk")
        overlap: int = Field(0, ge=0, description="characters repeated from the previous chunk")
        separators: list[str] = Field(["\n\n", "\n", ". ", " "], min_length=1, description="coarsest first")

    def spans(self, text):
        return recursive_spans(text, self.params.size, self.params.overlap, self.params.separators)
