"""`kg.retrieve`: KG context for a generator (GraphRAG-style). Around each question's linked topic entities:
the triples within `hops` (as readable facts) and the text chunks those triples were extracted from (ranked
by how many of the triples cite them), optionally merged with a text retriever's hits. The result is a
`Retrievals` list, so `llm.generate` prompts and `rag.answers` work on it unchanged."""

from __future__ import annotations

from collections import Counter

import numpy as np
from pipec.compiler.op import In, Op, OpParams, Out
from pydantic import Field

from ..data import Chunk, Hit, Question, Retrieval
from .graph import KnowledgeGraph
from .train import topic_ids


def fact_text(kg: KnowledgeGraph, i: int) -> str:
    relation = kg.relations[kg.rels[i]].replace("_", " ")
    return f"{kg.entities[kg.heads[i]]} {relation} {kg.entities[kg.tails[i]]}"


def triples_around(kg: KnowledgeGraph, topics: list[int], hops: int, limit: int) -> list[int]:
    """Triple indexes touching the topics, then their neighbours (breadth first), at most `limit`."""
    seen_entities = set(topics)
    frontier = np.asarray(topics, dtype=np.int32)
    picked: list[int] = []
    for _ in range(hops):
        touching = np.flatnonzero(np.isin(kg.heads, frontier) | np.isin(kg.tails, frontier))
        already = set(picked)
        fresh = [int(i) for i in touching if int(i) not in already]
        picked.extend(fresh[: limit - len(picked)])
        if len(picked) >= limit:
            break
        ends = set(kg.heads[touching].tolist()) | set(kg.tails[touching].tolist())
        frontier = np.asarray(sorted(ends - seen_entities), dtype=np.int32)
        seen_entities |= ends
        if frontier.size == 0:
            break
    return picked


def linked_chunks(kg: KnowledgeGraph, triples: list[int], chunks: dict[str, Chunk], limit: int) -> list[Hit]:
    if kg.chunk_ids is None:
        return []
    counts = Counter(c for i in triples for c in kg.chunk_ids[i] if c in chunks)
    return [Hit(c, chunks[c].doc_id, chunks[c].text, chunks[c].title, float(n))
            for c, n in counts.most_common(limit)]


class RetrieveKG(Op):
    """KG context per question: facts (triples) within `hops` of the linked topic entities, the chunks they
    came from (provenance), and optionally a text retriever's hits; as Retrievals for a generator prompt."""

    name = "kg.retrieve"

    class Params(OpParams):
        hops: int = Field(1, ge=1, le=3, description="how far from the topic entities facts are collected")
        max_triples: int = Field(20, ge=0, description="facts per question")
        max_chunks: int = Field(3, ge=0, description="linked chunks per question (needs `chunks`)")
        facts_as_one_hit: bool = Field(True, description="all facts in one hit (one numbered passage)")

    inputs = {"kg": In("KG"), "questions": In("Questions", "with topic entities (from kg.link)"),
              "chunks": In("Chunks", "the chunks the KG's provenance refers to", required=False),
              "retrievals": In("Retrievals", "text retrieval hits appended after the KG context", required=False)}
    outputs = {"retrievals": Out("Retrievals", "facts, linked chunks, then text hits, per question")}

    def run(self, ctx, kg, questions, chunks=None, retrievals=None):
        by_id = {c.id: c for c in chunks or []}
        text_hits = {r.qid: r.hits for r in retrievals or []}
        out = [self._retrieve(kg, q, by_id, text_hits.get(q.id, [])) for q in questions]
        ctx.record_items([{"id": r.qid, "question": r.question,
                           "hits": [{"chunk_id": h.chunk_id, "text": h.text[:200]} for h in r.hits]} for r in out])
        ctx.progress(len(questions), len(questions))
        return {"retrievals": out}

    def _retrieve(self, kg: KnowledgeGraph, q: Question, chunks: dict[str, Chunk], text_hits: list[Hit]):
        p = self.params
        triples = triples_around(kg, topic_ids(kg, q), p.hops, p.max_triples)
        facts = [Hit(f"triple:{i}", kg.entities[kg.heads[i]], fact_text(kg, i), "KG fact", 1.0) for i in triples]
        if p.facts_as_one_hit and facts:
            facts = [Hit("kg:" + q.id, facts[0].doc_id, "; ".join(h.text for h in facts), "KG facts", 1.0)]
        hits = facts + linked_chunks(kg, triples, chunks, p.max_chunks)
        seen = {h.chunk_id for h in hits}
        hits += [h for h in text_hits if h.chunk_id not in seen]
        return Retrieval(q.id, q.question, hits)
