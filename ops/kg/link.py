"""`kg.link`: question -> topic entities of the KG, with scores and the method that found them.

Methods, tried in order until one links: `brackets` (MetaQA marks the topic entity `[like this]`; the
loader keeps them in `topic_entities`), `exact` (the longest word n-gram of the question that is an entity
name, case-insensitive), `alias` (the same over the KG's aliases), `fuzzy` (rapidfuzz partial ratio of the
question against entity names) and `embedding` (cosine between the question and entity names with an
`Embedder`, for small KGs).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Literal

import numpy as np
from pipec.compiler.op import In, Op, OpParams, Out
from pydantic import Field

from ..data import Question
from .graph import KnowledgeGraph

Method = Literal["brackets", "exact", "alias", "fuzzy", "embedding"]
WORD = re.compile(r"[\w'&.-]+|[^\w\s]")
STOP = {"the", "a", "an", "of", "in", "on", "by", "what", "which", "who", "is", "was", "were", "did", "does", "do",
        "and", "to", "for", "with", "that", "are", "movie", "movies", "film", "films", "when", "how", "be"}
MAX_NGRAM = 10


@dataclasses.dataclass(frozen=True)
class Link:
    entity: str
    score: float
    method: str
    mention: str = ""


def link_brackets(kg: KnowledgeGraph, q: Question) -> list[Link]:
    out = []
    for mention in q.topic_entities:
        i = kg.entity_id(mention)
        if i is not None:
            out.append(Link(kg.entities[i], 1.0 if kg.entities[i] == mention else 0.99, "brackets", mention))
    return out


def ngrams(text: str) -> list[tuple[int, str]]:
    """(word count, n-gram) of the question, longest first."""
    words = WORD.findall(text)
    grams = []
    for n in range(min(MAX_NGRAM, len(words)), 0, -1):
        for i in range(len(words) - n + 1):
            grams.append((n, " ".join(words[i:i + n])))
    return grams


def link_exact(names: dict[str, str], text: str, method: str) -> list[Link]:
    """The longest n-gram that is a (lower-cased) name; single stop words never link."""
    best: list[Link] = []
    best_n = 0
    for n, gram in ngrams(text):
        if n < best_n:
            break
        key = gram.lower()
        if key in names and not (n == 1 and key in STOP):
            best.append(Link(names[key], 1.0 if method == "exact" else 0.95, method, gram))
            best_n = n
    return list({link.entity: link for link in best}.values())


def link_fuzzy(kg: KnowledgeGraph, lowered: list[str], text: str, cutoff: float) -> list[Link]:
    """The entity whose (lower-cased) name best matches part of the question (rapidfuzz partial ratio)."""
    from rapidfuzz import fuzz, process

    found = process.extractOne(text.lower(), lowered, scorer=fuzz.partial_ratio, score_cutoff=cutoff * 100)
    if found is None:
        return []
    _, score, index = found
    return [Link(kg.entities[index], score / 100.0, "fuzzy")]


class LinkEntities(Op):
    """Link each question to topic entities of the KG (brackets, exact, alias, fuzzy, embedding matching);
    writes `topic_entities` (KG names) and `meta['links']` (entity, score, method) on each question."""

    name = "kg.link"

    class Params(OpParams):
        methods: list[Method] = Field(["brackets", "exact", "alias", "fuzzy"],
                                      description="matching methods, tried in order until one links")
        fuzzy_cutoff: float = Field(0.85, ge=0, le=1, description="minimum rapidfuzz partial ratio (0-1)")
        embedding_cutoff: float = Field(0.6, ge=-1, le=1, description="minimum cosine for embedding links")
        max_entities: int = Field(1, ge=1, description="topic entities kept per question")

    inputs = {"kg": In("KG"), "questions": In("Questions"),
              "embedder": In("Embedder", "needed by the embedding method", required=False)}
    outputs = {"questions": Out("Questions", "the questions with linked topic entities")}

    async def run(self, ctx, kg, questions, embedder=None):
        import asyncio

        links = await asyncio.to_thread(self._link_lexical, kg, questions)
        if "embedding" in self.params.methods and embedder is not None:
            await self._link_embedding(ctx, kg, questions, links, embedder)
        out, unlinked = [], 0
        for q, found in zip(questions, links, strict=True):
            found = sorted(found, key=lambda link: -link.score)[: self.params.max_entities]
            unlinked += not found
            meta = {**q.meta, "links": [dataclasses.asdict(link) for link in found]}
            out.append(dataclasses.replace(q, topic_entities=[link.entity for link in found], meta=meta))
        if unlinked:
            ctx.log(f"{unlinked} of {len(questions)} questions have no topic entity")
        return {"questions": out}

    def _link_lexical(self, kg: KnowledgeGraph, questions: list[Question]) -> list[list[Link]]:
        methods = self.params.methods
        names = {e.lower(): e for e in reversed(kg.entities)} if "exact" in methods else {}
        alias_names = {a.lower(): e for e, aliases in kg.aliases.items() for a in aliases} if "alias" in methods else {}
        lowered = [e.lower() for e in kg.entities] if "fuzzy" in methods else []
        out = []
        for q in questions:
            found: list[Link] = []
            for method in methods:
                if method == "brackets":
                    found = link_brackets(kg, q)
                elif method == "exact":
                    found = link_exact(names, q.question, "exact")
                elif method == "alias" and alias_names:
                    found = link_exact(alias_names, q.question, "alias")
                elif method == "fuzzy":
                    found = link_fuzzy(kg, lowered, q.question, self.params.fuzzy_cutoff)
                if found:
                    break
            out.append(found)
        return out

    async def _link_embedding(self, ctx, kg, questions, links, embedder) -> None:
        from ..text.embedders import embed_texts

        todo = [i for i, found in enumerate(links) if not found]
        if not todo:
            return
        entity_vectors = await embed_texts(ctx, embedder, kg.entities, progress=False)
        question_vectors = await embed_texts(ctx, embedder, [questions[i].question for i in todo], progress=False)
        sims = question_vectors @ entity_vectors.T
        for row, i in enumerate(todo):
            j = int(np.argmax(sims[row]))
            if sims[row, j] >= self.params.embedding_cutoff:
                links[i] = [Link(kg.entities[j], float(sims[row, j]), "embedding")]
