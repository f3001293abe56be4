"""`kg.search`: answer questions with a trained edge scorer by beam search over hops (no LLM call).

From the topic entities, each beam holds a relation path and the set of entities it reaches; at hop t every
directed relation that leaves the set (plus STOP from hop 1 on) is scored by the model, the best `beam_size`
extensions survive. Answers are the entities of the finished beams (never the topic entity), ranked by the
summed probability of the beams that reach them; the predicted set is the best beam's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from pipec.compiler.op import In, Op, OpParams, Out
from pydantic import Field

from ..data import Answer, Question
from .features import mask_topics
from .graph import KGError, KnowledgeGraph
from .scorer import EdgeScorer, log_softmax_valid
from .train import features_matrix, topic_ids


@dataclass
class Beam:
    score: float
    path: tuple[int, ...]
    frontier: np.ndarray


def beam_search(kg: KnowledgeGraph, model: EdgeScorer, scores: np.ndarray, topics: np.ndarray,
                beam_size: int, max_hops: int) -> list[Beam]:
    """Finished beams, best first. `scores` is the question's (T, K) text score table."""
    K, stop, n_dir = model.n_actions, model.stop, model.n_actions - 1
    bit_index = np.arange(n_dir, dtype=np.int64)
    beams, finished = [Beam(0.0, (), topics)], []
    for t in range(min(max_hops, model.max_hops) + 1):
        cands: list[tuple[float, Beam, int]] = []
        for beam in beams:
            valid = np.zeros(K, dtype=bool)
            if t < max_hops:
                valid[:n_dir] = ((kg.available(beam.frontier) >> bit_index) & 1).astype(bool)
            valid[stop] = t >= 1
            if not valid.any():
                continue
            prev = beam.path[-1] if beam.path else stop
            logp = log_softmax_valid(scores[t] + model.B[t, prev], valid)
            cands.extend((beam.score + float(logp[a]), beam, int(a)) for a in np.flatnonzero(valid))
        cands.sort(key=lambda c: -c[0])
        beams = []
        for score, beam, a in cands[:beam_size]:
            if a == stop:
                finished.append(Beam(score, beam.path, beam.frontier))
                continue
            nxt = kg.step(beam.frontier, a)
            nxt = nxt[~np.isin(nxt, topics)] if nxt.size else nxt
            if nxt.size:
                beams.append(Beam(score, beam.path + (a,), nxt))
        if not beams:
            break
    finished.sort(key=lambda b: -b.score)
    return finished


def rank_answers(finished: list[Beam]) -> list[tuple[int, float]]:
    """The best beam's entities, ranked by the total probability of the beams reaching each."""
    if not finished:
        return []
    totals: dict[int, float] = {}
    for beam in finished:
        p = float(np.exp(beam.score))
        for e in beam.frontier.tolist():
            totals[e] = totals.get(e, 0.0) + p
    best = finished[0].frontier.tolist()
    return sorted(((e, totals[e]) for e in best), key=lambda x: (-x[1], x[0]))


def path_text(kg: KnowledgeGraph, topics: list[str], path: tuple[int, ...]) -> str:
    return " -> ".join([" | ".join(topics) or "?"] + [kg.action_name(a) for a in path])


def answer_questions(kg: KnowledgeGraph, model: EdgeScorer, questions: list[Question], beam_size: int,
                     max_hops: int, max_answers: int | None) -> list[Answer]:
    texts = [mask_topics(q.question, q.topic_entities) for q in questions]
    table = model.text_scores(features_matrix(model.vocab, texts, model.dense))
    out = []
    for q, scores in zip(questions, table, strict=True):
        started = time.perf_counter()
        topics = np.unique(np.asarray(topic_ids(kg, q), dtype=np.int32))
        if topics.size == 0:
            out.append(Answer(q.id, "", error="no topic entity in the KG", meta={"llm_calls": 0}))
            continue
        finished = beam_search(kg, model, scores, topics, beam_size, max_hops)
        ranked = rank_answers(finished)[:max_answers]
        names = [kg.entities[e] for e, _ in ranked]
        best = finished[0] if finished else None
        path = [kg.action_name(a) for a in best.path] if best else []
        out.append(Answer(
            q.id, names[0] if names else "", score=float(np.exp(best.score)) if best else 0.0, answers=names,
            evidence=[path_text(kg, q.topic_entities, best.path)] if best else [],
            error=None if names else "no path found",
            meta={"path": path, "llm_calls": 0, "seconds": time.perf_counter() - started}))
    return out


class SearchKG(Op):
    """Answer questions with a trained edge scorer: beam search over relation paths from the topic entity,
    no LLM call. Answers are grounded: every answer is reached in the KG by the predicted path."""

    name = "kg.search"

    class Params(OpParams):
        beam_size: int = Field(5, ge=1, le=100, description="beams kept per hop")
        max_hops: int | None = Field(None, ge=1, le=6, description="longest path (default: the model's)")
        max_answers: int | None = Field(None, ge=1, description="keep the N best answers per question")

    inputs = {"kg": In("KG"), "model": In("Model", "from kg.train_scorer"), "questions": In("Questions")}
    outputs = {"answers": Out("Answers", "ranked answer entities, the predicted path as evidence")}

    def run(self, ctx, kg, model, questions):
        if not isinstance(model, EdgeScorer):
            raise KGError(f"kg.search needs a model from kg.train_scorer, got {type(model).__name__}")
        if list(model.relations) != list(kg.relations):
            raise KGError("the model was trained on a KG with other relations "
                          f"({', '.join(model.relations)}); retrain it on this KG")
        p = self.params
        started = time.perf_counter()
        answers = answer_questions(kg, model, questions, p.beam_size, p.max_hops or model.max_hops, p.max_answers)
        elapsed = time.perf_counter() - started
        for a in answers:  # batch featurisation time shared out
            a.meta["seconds"] = elapsed / max(len(answers), 1)
        ctx.progress(len(questions), len(questions))
        return {"answers": answers}
