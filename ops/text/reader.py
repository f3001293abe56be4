"""An offline extractive reader: no LLM. For each question it scores the sentences of the top retrieved chunks
(embedding cosine with the question + weighted word overlap + a retrieval-rank prior), then picks an answer
span inside the best sentences that fits the question's type (a year for 'when', a number for 'how many', a
name for 'who', a quoted or code term, otherwise the shortest phrase next to the question's words)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pipec.compiler.mapping import MapsItems
from pipec.compiler.op import In, Op, OpParams, Out
from pipec.ops.data import Answer
from pydantic import Field

from .chunking import sentence_spans
from .embedders import embed_texts
from .indexes import bm25_tokens

if TYPE_CHECKING:  # numpy is imported by run: `pipe validate` never needs it
    import numpy as np

YEAR = r"\b(1[0-9]{3}|20[0-9]{2})\b"
DATE = (r"\b(?:(?:January|February|March|April|May|June|July|August|September|October|November|December)"
        r"(?:\s+\d{1,2},?)?\s+\d{4}|\d{1,2}\s+(?:January|February|March|April|May|June|July|August|September|"
        r"October|November|December)\s+\d{4})\b")
NUMBER = (r"\b\d[\d,.]*(?:\s*(?:%|percent|million|billion|thousand|hundred|seconds|minutes|hours|ms|GiB|MB|KB|s)\b)?")
QUOTED = r"`([^`]+)`|\"([^\"]{1,60})\"|'([^']{1,60})'"
IDENT = r"(?<![\w`])(?:\.?[A-Za-z][\w-]*(?:[_.][\w-]+)+|[a-z]+[A-Z]\w*|\w+_\w+)"
PROPER = r"\b[A-Z][\w'.-]*(?:\s+(?:of|the|de|von|van|and|&)?\s*[A-Z][\w'.-]*)*"
PHRASE_BREAK = re.compile(r"[,;:()\[\]]|\s-\s|\bwhich\b|\bthat\b|\bwho\b|\bwhere\b|\bwhen\b|\band\b|\bbut\b")


@dataclass
class Sentence:
    text: str
    chunk_id: str
    rank: int
    score: float = 0.0


def question_type(question: str) -> str:
    q = question.lower()
    if re.search(r"\bhow (many|much|long|old|large|big|fast)\b", q):
        return "number"
    if re.search(r"\b(when|what year|which year|what date)\b", q):
        return "date"
    if re.search(r"\b(who|whom|whose)\b", q):
        return "person"
    if re.search(r"\b(which|what) (command|flag|option|file|op|function|parameter|setting|table|key|port|"
                 r"library|database|folder|package|group|model|tool)\b", q):
        return "code"
    return "other"


def overlap(q_words: set[str], text: str, idf: dict[str, float]) -> float:
    words = set(bm25_tokens(text))
    total = sum(idf.get(w, 1.0) for w in q_words)
    return sum(idf.get(w, 1.0) for w in q_words & words) / total if total else 0.0


def candidate_spans(sentence: str, qtype: str, q_words: set[str]) -> list[tuple[str, float]]:
    """(span, type bonus) candidates inside a sentence, excluding spans made only of question words."""
    found: list[tuple[str, float]] = []
    patterns = {"date": [(DATE, 1.0), (YEAR, 0.9)], "number": [(NUMBER, 1.0)], "person": [(PROPER, 0.6)],
                "code": [(QUOTED, 1.0), (IDENT, 0.8), (PROPER, 0.5)],
                "other": [(QUOTED, 0.5), (PROPER, 0.3), (DATE, 0.2)]}[qtype]
    for pattern, bonus in patterns:
        for m in re.finditer(pattern, sentence):
            span = next((g for g in m.groups() if g), None) if m.groups() else m.group(0)
            found.append(((span or m.group(0)).strip(" ,").rstrip("."), bonus))
    for piece in PHRASE_BREAK.split(sentence):
        words = piece.split()
        content = [w for w in words if not set(bm25_tokens(w)) <= q_words]
        if content:
            found.append((" ".join(content[:8]).strip(" .,"), 0.0))
    return [(s, b) for s, b in found if s and not set(bm25_tokens(s)) <= q_words]


def proximity(sentence: str, span: str, q_words: set[str]) -> float:
    """Closeness of the span to the question's words in the sentence (1 adjacent, -> 0 far)."""
    words = [w.lower() for w in re.findall(r"\w+", sentence)]
    span_words = re.findall(r"\w+", span.lower())
    if not span_words or span_words[0] not in words:
        return 0.0
    at = words.index(span_words[0])
    hits = [i for i, w in enumerate(words) if w in q_words]
    return 1.0 / (1 + min(abs(i - at) for i in hits)) if hits else 0.0


def best_span(question: str, sentences: list[Sentence], q_words: set[str], max_words: int) -> tuple[str, float]:
    qtype = question_type(question)
    best, best_score = "", -math.inf
    for s in sentences:
        for span, bonus in candidate_spans(s.text, qtype, q_words):
            n = len(span.split())
            if n > max_words:
                continue
            score = s.score + 0.4 * bonus + 0.3 * proximity(s.text, span, q_words) - 0.02 * n
            if score > best_score:
                best, best_score = span, score
    return best, best_score


class ReadExtractive(MapsItems, Op):
    """Offline extractive reader (no LLM): the best answer span (or sentence) from the retrieved chunks, using
    the embedder's cosine and lexical overlap with the question."""

    name = "read.extractive"
    shard_input = "retrievals"
    shard_remote = True  # CPU work (and a local embedder's); a litellm embedder calls out from the task

    class Params(OpParams):
        chunks: int = Field(3, ge=1, le=50, description="top retrieved chunks to read")
        sentences: int = Field(2, ge=1, le=20, description="best sentences searched for a span")
        output: Literal["span", "sentence"] = Field("span", description="answer with a short span or a sentence")
        max_words: int = Field(8, ge=1, le=50, description="longest span")
        dense_weight: float = Field(0.5, ge=0, le=1, description="cosine vs word-overlap weight of a sentence")
        rank_weight: float = Field(0.1, ge=0, le=1, description="prior for sentences of better-ranked chunks")

    inputs = {"retrievals": In("Retrievals"), "embedder": In("Embedder", "to score sentences", required=False)}
    outputs = {"answers": Out("Answers")}

    async def run(self, ctx, retrievals, embedder=None):
        return await self.run_mapped(ctx, {"retrievals": retrievals, "embedder": embedder})

    def prepare(self, ctx, inputs):
        per_q = [self._sentences(r) for r in inputs["retrievals"]]
        return list(zip(inputs["retrievals"], per_q, strict=True)), self._idf(per_q)

    async def map_items(self, ctx, items, idf, inputs):
        import numpy as np

        embedder = inputs.get("embedder")
        if embedder is not None and self.params.dense_weight > 0:
            flat = [s.text for _, sents in items for s in sents]
            vectors = await embed_texts(ctx, embedder, [r.question for r, _ in items] + flat)
            q_vecs, s_vecs = vectors[:len(items)], vectors[len(items):]
        else:
            q_vecs = s_vecs = None
        answers, offset = [], 0
        for i, (r, sents) in enumerate(items):
            cos = s_vecs[offset:offset + len(sents)] @ q_vecs[i] if q_vecs is not None else np.zeros(len(sents))
            offset += len(sents)
            answers.append(self._answer(r, sents, cos, idf))
        return answers

    def join_items(self, ctx, items, answers, idf, inputs):
        ctx.progress(len(items), len(items))
        return {"answers": answers}

    def _sentences(self, retrieval) -> list[Sentence]:
        out = []
        for rank, hit in enumerate(retrieval.hits[:self.params.chunks]):
            out += [Sentence(hit.text[s:e], hit.chunk_id, rank) for s, e in sentence_spans(hit.text)]
        return out

    @staticmethod
    def _idf(per_q: list[list[Sentence]]) -> dict[str, float]:
        df: dict[str, int] = {}
        n = 0
        for sents in per_q:
            for s in sents:
                n += 1
                for w in set(bm25_tokens(s.text)):
                    df[w] = df.get(w, 0) + 1
        return {w: math.log(1 + n / c) for w, c in df.items()}

    def _answer(self, retrieval, sents: list[Sentence], cos: np.ndarray, idf: dict[str, float]) -> Answer:
        p = self.params
        if not sents:
            return Answer(retrieval.qid, "", 0.0, error="no retrieved text to read")
        q_words = set(bm25_tokens(retrieval.question))
        for s, c in zip(sents, cos, strict=False):
            lexical = overlap(q_words, s.text, idf)
            s.score = p.dense_weight * float(c) + (1 - p.dense_weight) * lexical + p.rank_weight / (1 + s.rank)
        top = sorted(sents, key=lambda s: -s.score)[:p.sentences]
        if p.output == "sentence":
            return Answer(retrieval.qid, top[0].text, top[0].score, evidence=[top[0].chunk_id])
        span, score = best_span(retrieval.question, top, q_words, p.max_words)
        source = next((s for s in top if span and span in s.text), top[0])
        meta = {"sentence": source.text}
        if cited := retrieval.hits[source.rank].meta:
            meta["citation"] = {"doc_id": retrieval.hits[source.rank].doc_id, **cited}
        return Answer(retrieval.qid, span or top[0].text, score if span else top[0].score,
                      evidence=[source.chunk_id], meta=meta)
