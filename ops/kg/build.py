"""`kg.build`: a knowledge graph from text with an LLM through the gateway.

One structured-output call per chunk extracts entities (name, type) and typed relations (head, relation,
tail); triples keep their provenance (the chunks they came from). Entity names are normalised (whitespace,
quotes, trailing punctuation, a leading "the") and de-duplicated case-insensitively, the most frequent surface
form winning and the others kept as aliases; relation names become snake_case and, with a vocabulary, unknown
relations are dropped (counted). Incremental: each chunk's request is identical while the chunk, prompt and
model are unchanged, so the gateway's response cache answers it and only new or edited chunks are sent.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from typing import Any, Literal

from pipec.compiler.mapping import MapsItems
from pipec.compiler.op import In, Op, OpParams, Out
from pydantic import BaseModel, Field, create_model

from ..data import Chunk, Document
from .graph import KGError, KnowledgeGraph

PROMPT = """Extract a knowledge graph from the text below.
Entities: every named entity (person, organization, place, work, date, concept) with a type.
Relations: facts stated in the text as (head, relation, tail) between entities; relation names in snake_case.
{vocabulary}
Reply with JSON: {"entities": [{"name": ..., "type": ...}], "relations": [{"head": ..., "relation": ..., "tail": ...}]}

Text:
{text}"""

# For small local models (local/smollm2): triples only, one worked example, a bounded list (the JSON grammar then
# ends the reply instead of repeating an entity forever).
RELATIONS_PROMPT = """Extract facts from the text as (head, relation, tail) triples. Use names from the text.
{vocabulary}
Text: Marie Curie was born in Warsaw. She won the Nobel Prize in Physics in 1903.
Facts: {"relations": [{"head": "Marie Curie", "relation": "born_in", "tail": "Warsaw"}, {"head": "Marie Curie", \
"relation": "won", "tail": "Nobel Prize in Physics"}]}

Text: {text}
Facts:"""

QUOTES = "\"'`“”‘’"
SNAKE = re.compile(r"[^0-9a-z]+")


class ExtractedEntity(BaseModel):
    name: str
    type: str = ""


class ExtractedRelation(BaseModel):
    head: str
    relation: str
    tail: str


class Extraction(BaseModel):
    entities: list[ExtractedEntity] = Field(default_factory=list)
    relations: list[ExtractedRelation] = Field(default_factory=list)


@cache
def extraction_schema(extract: str, max_relations: int | None) -> type[BaseModel]:
    """The reply's schema: entities and relations, or relations only; at most `max_relations` of them (a bound
    that grammar-constrained decoding enforces)."""
    relations = (list[ExtractedRelation], Field(default_factory=list, max_length=max_relations))
    if extract == "relations":
        return create_model("Relations", relations=relations)
    return create_model("Extraction", __base__=Extraction, relations=relations)


def grounded(name: str, text: str) -> bool:
    """Does an extracted name occur in the chunk's text (case and spacing aside)?"""
    return " ".join(normalize_entity(name).lower().split()) in " ".join(text.lower().split())


def normalize_entity(name: str) -> str:
    name = " ".join(name.split()).strip(QUOTES + " ").rstrip(".,;:")
    return name[4:] if name.lower().startswith("the ") and len(name) > 4 and name[4].isupper() else name


def normalize_relation(name: str) -> str:
    return SNAKE.sub("_", name.lower()).strip("_")


def chunk_documents(documents: list[Document], size: int | None, overlap: int) -> list[Document]:
    """The input as is, or re-split into sentence-packed chunks of about `size` words."""
    if not size:
        return documents
    from ..text.chunkers import make_chunks
    from ..text.chunking import sentence_chunks

    return make_chunks(documents, lambda text: sentence_chunks(text, size, overlap))


class Merger:
    """Accumulates extractions: canonical entity names, aliases, types, triples with provenance."""

    def __init__(self, vocabulary: list[str] | None):
        self.vocabulary = {normalize_relation(r) for r in vocabulary} if vocabulary else None
        self.surface: dict[str, Counter] = {}
        self.types: dict[str, Counter] = {}
        self.triples: dict[tuple[str, str, str], list[str]] = {}
        self.dropped = 0
        self.ungrounded = 0

    def key(self, name: str) -> str:
        name = normalize_entity(name)
        key = name.lower()
        if key:
            self.surface.setdefault(key, Counter())[name] += 1
        return key

    def add(self, chunk_id: str, extraction: BaseModel, text: str | None = None) -> None:
        """Merge one chunk's extraction; with `text`, relations whose head or tail is not in it are dropped."""
        for entity in getattr(extraction, "entities", []):
            key = self.key(entity.name)
            if key and entity.type:
                self.types.setdefault(key, Counter())[entity.type.strip().lower()] += 1
        for rel in extraction.relations:
            if text is not None and not (grounded(rel.head, text) and grounded(rel.tail, text)):
                self.ungrounded += 1
                continue
            head, tail, relation = self.key(rel.head), self.key(rel.tail), normalize_relation(rel.relation)
            if not (head and tail and relation) or head == tail or (
                    self.vocabulary is not None and relation not in self.vocabulary):
                self.dropped += 1
                continue
            sources = self.triples.setdefault((head, relation, tail), [])
            if chunk_id not in sources:
                sources.append(chunk_id)

    def canonical(self, key: str) -> str:
        counts = self.surface[key]
        return max(counts, key=lambda s: (counts[s], s[:1].isupper(), s))

    def graph(self, source: str) -> KnowledgeGraph:
        names = {k: self.canonical(k) for k in self.surface}
        triples = [(names[h], r, names[t]) for (h, r, t) in self.triples]
        aliases = {names[k]: sorted(s for s in c if s != names[k]) for k, c in self.surface.items()}
        kg = KnowledgeGraph.from_triples(triples, source=source, chunk_ids=list(self.triples.values()),
                                         aliases={k: v for k, v in aliases.items() if v})
        kg.types = {names[k]: c.most_common(1)[0][0] for k, c in self.types.items()}
        return kg


class BuildKG(MapsItems, Op):
    """Build a KG from text chunks with an LLM: one structured call per chunk (entities with types, typed
    relations), names normalised and de-duplicated, provenance kept per triple, unchanged chunks answered by
    the gateway's cache (incremental). Outputs the KG and the extraction metrics."""

    name = "kg.build"
    shard_input = "chunks"

    class Params(OpParams):
        model: str = Field(..., description="litellm model string (fake/..., local/smollm2, openai/gpt-4o-mini)")
        prompt: str | None = Field(None, description="extraction prompt; {text} is the chunk, {vocabulary} the "
                                                     "relation vocabulary line (default: the `extract` mode's)")
        extract: Literal["entities_and_relations", "relations"] = Field(
            "entities_and_relations", description="what the model is asked for; `relations` (triples only, with "
                                                  "a worked example) suits small local models")
        max_relations: int | None = Field(None, ge=1, le=100, description="at most this many relations per "
                                                                          "chunk (a schema bound)")
        grounded: bool = Field(False, description="drop relations whose head or tail does not occur in the chunk")
        relations: list[str] | None = Field(None, description="relation vocabulary; other relations are dropped")
        chunk_size: int | None = Field(None, ge=1, description="re-split the input into ~N-word sentence chunks "
                                                               "(None: use the chunks as given)")
        chunk_overlap: int = Field(0, ge=0, description="sentences shared by consecutive chunks")
        temperature: float | None = Field(0.0, ge=0, description="sampling temperature")
        params: dict[str, Any] = Field(default_factory=dict, description="more litellm parameters")

    inputs = {"chunks": In("Documents", "chunks (or documents) to extract from")}
    outputs = {"kg": Out("KG", "the extracted graph; triples carry chunk ids (provenance)"),
               "chunks": Out("Chunks", "the chunks the provenance refers to"),
               "metrics": Out("Metrics", "chunks, llm_calls, cache_hits, errors, triples, entities, dropped")}

    async def run(self, ctx, chunks):
        return await self.run_mapped(ctx, {"chunks": chunks})

    def prepare(self, ctx, inputs):
        p = self.params
        return [as_chunk(c) for c in chunk_documents(inputs["chunks"], p.chunk_size, p.chunk_overlap)], None

    async def map_items(self, ctx, items, shared, inputs):
        from ..llm.items import run_all

        total = len(items)
        ctx.progress(0, total)
        return await run_all([self._job(ctx, c) for c in items], on_done=lambda n: ctx.progress(n, total))

    def join_items(self, ctx, pieces, results, shared, inputs):
        total = len(pieces)
        merger = Merger(self.params.relations)
        errors = 0
        for chunk, res in zip(pieces, results, strict=True):
            if res.value is None:
                errors += 1
                continue
            merger.add(chunk.id, res.value, chunk.text if self.params.grounded else None)
        if not merger.triples:
            raise KGError(f"no relation extracted from {total} chunks ({errors} replies did not parse); check "
                          "the model and the prompt")
        kg = merger.graph(source=f"kg.build({self.params.model})")
        responses = [r for res in results for r in res.responses]
        sent = sum(1 for r in responses if not r.cache_hit)
        ctx.record_items([{"id": c.id, "text": c.text[:300], "error": res.error,
                           "relations": [r.model_dump() for r in res.value.relations] if res.value else []}
                          for c, res in zip(pieces, results, strict=True)])
        ctx.log(f"{kg.describe()} from {total} chunks: {sent} LLM calls, {len(responses) - sent} cache hits")
        metrics = {"chunks": float(total), "llm_calls": float(sent), "cache_hits": float(len(responses) - sent),
                   "errors": float(errors), "triples": float(len(kg)), "entities": float(kg.n_entities),
                   "dropped_relations": float(merger.dropped), "ungrounded_relations": float(merger.ungrounded),
                   "triples_per_chunk": len(kg) / max(total, 1)}
        return {"kg": kg, "chunks": pieces, "metrics": metrics}

    def _job(self, ctx, chunk: Chunk):
        p = self.params
        vocabulary = f"Use only these relations: {', '.join(p.relations)}." if p.relations else ""
        template = p.prompt or (RELATIONS_PROMPT if p.extract == "relations" else PROMPT)
        prompt = template.replace("{vocabulary}", vocabulary).replace("{text}", chunk.text)
        schema = extraction_schema(p.extract, p.max_relations)
        params = dict(p.params)
        if p.temperature is not None:
            params.setdefault("temperature", p.temperature)

        async def job():
            return await ctx.llm.structured(p.model, prompt, schema=schema, item=chunk.id, **params)
        return job


def as_chunk(doc: Document) -> Chunk:
    if isinstance(doc, Chunk):
        return doc
    return Chunk(id=doc.id, doc_id=doc.id, text=doc.text, title=doc.title, start=0, end=len(doc.text),
                 meta=dict(doc.meta))
