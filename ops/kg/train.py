"""`kg.train_scorer`: weakly supervised training of the edge scorer (no LLM) on question/answer pairs."""

from __future__ import annotations

import time
from typing import Literal

import numpy as np
from pipec.compiler.op import In, Op, OpParams, Out
from pydantic import Field

from ..data import Question
from .features import Vocabulary, mask_topics
from .graph import KGError, KnowledgeGraph
from .paths import PathLabel, label_paths
from .scorer import EdgeScorer, TrainingRows, fit, path_log_probs


def topic_ids(kg: KnowledgeGraph, q: Question) -> list[int]:
    return [i for i in (kg.entity_id(e) for e in q.topic_entities) if i is not None]


def gold_ids(kg: KnowledgeGraph, q: Question) -> list[int]:
    return [i for i in (kg.entity_id(a) for a in q.answers) if i is not None]


def label_questions(ctx, kg: KnowledgeGraph, questions: list[Question], max_hops: int, hop_hint: bool,
                    min_f1: float) -> list[tuple[int, PathLabel]]:
    labelled = []
    for i, q in enumerate(questions):
        hops = q.meta.get("hops") if hop_hint else None
        lengths = [hops] if isinstance(hops, int) and 1 <= hops <= max_hops else list(range(1, max_hops + 1))
        label = label_paths(kg, topic_ids(kg, q), gold_ids(kg, q), lengths, min_f1)
        if label is not None:
            labelled.append((i, label))
        if i % 500 == 0:
            ctx.progress(i, len(questions))
            if ctx.cancelled:
                break
    return labelled


def action_mask(mask: int, n_actions: int) -> np.ndarray:
    return ((mask >> np.arange(n_actions, dtype=np.int64)) & 1).astype(bool)


def build_rows(labels: list[PathLabel], max_hops: int, n_rel: int) -> tuple[TrainingRows, list[int]]:
    """Rows for every step of every labelled path, ties weighted equally. Returns the rows and, per
    (question, path) pair, its question index."""
    K, stop = 2 * n_rel + 1, 2 * n_rel
    q, t, prev, action, weight, valid, pair = [], [], [], [], [], [], []
    pair_question = []
    for qi, label in enumerate(labels):
        for path, masks in zip(label.paths, label.masks, strict=True):
            pid = len(pair_question)
            pair_question.append(qi)
            for step in range(len(path) + 1):
                v = np.zeros(K, dtype=bool)
                if step < max_hops:
                    v[: 2 * n_rel] = action_mask(masks[step], 2 * n_rel)
                v[stop] = step >= 1
                q.append(qi)
                t.append(step)
                prev.append(path[step - 1] if step else stop)
                action.append(path[step] if step < len(path) else stop)
                weight.append(1.0 / len(label.paths))
                valid.append(v)
                pair.append(pid)
    rows = TrainingRows(np.array(q), np.array(t), np.array(prev), np.array(action), np.array(weight),
                        np.array(valid).reshape(-1, K), np.array(pair))
    return rows, pair_question


def harden_ties(rows: TrainingRows, scores: np.ndarray, pair_question: list[int]) -> None:
    """Hard EM: of the tied paths of a question, keep (weight 1) only the one the model likes best."""
    best: dict[int, int] = {}
    for pid, qi in enumerate(pair_question):
        if qi not in best or scores[pid] > scores[best[qi]]:
            best[qi] = pid
    winners = np.zeros(len(pair_question), dtype=bool)
    winners[list(best.values())] = True
    rows.weight = winners[rows.path_of_row].astype(float)


class TrainScorer(Op):
    """Train the embedding-guided edge scorer (no LLM): label each training question with the relation paths
    from its topic entity that reach its gold answers (weak supervision), then fit a log-linear model of
    (question n-grams x hop x directed relation) plus relation-transition scores. Output: a Model."""

    name = "kg.train_scorer"

    class Params(OpParams):
        max_hops: int = Field(3, ge=1, le=6, description="longest relation path")
        hop_hint: bool = Field(True, description="label a question only with paths of its known hop count "
                                                  "(MetaQA files); the model still predicts when to stop")
        ngram: int = Field(3, ge=1, le=5, description="longest word n-gram of the question features")
        min_count: int = Field(1, ge=1, description="drop n-grams seen in fewer training questions")
        text_features: Literal["ngrams", "ngrams+minilm"] = Field(
            "ngrams", description="ngrams, or n-grams plus MiniLM sentence embeddings (offline, slower)")
        l2: float = Field(1e-5, ge=0, description="L2 penalty")
        max_iter: int = Field(200, ge=1, description="L-BFGS iterations per round")
        em_rounds: int = Field(1, ge=0, le=5, description="hard-EM rounds to resolve tied paths")
        min_f1: float = Field(0.5, ge=0, le=1, description="drop questions whose best path has a lower F1")

    inputs = {"kg": In("KG"), "questions": In("Questions", "training questions with gold answers")}
    outputs = {"model": Out("Model", "the trained edge scorer")}

    def run(self, ctx, kg, questions):
        p = self.params
        started = time.perf_counter()
        labelled = label_questions(ctx, kg, questions, p.max_hops, p.hop_hint, p.min_f1)
        if not labelled:
            raise KGError("no training question has a relation path from its topic entity to its answers "
                          "(check the topic entities and that the KG matches the questions)")
        label_s = time.perf_counter() - started
        qs = [questions[i] for i, _ in labelled]
        labels = [label for _, label in labelled]
        texts = [mask_topics(q.question, q.topic_entities) for q in qs]
        vocab = Vocabulary(p.ngram, p.min_count).fit(texts)
        X = features_matrix(vocab, texts, p.text_features)
        n_rel = len(kg.relations)
        T, K = p.max_hops + 1, 2 * n_rel + 1
        rows, pair_question = build_rows(labels, p.max_hops, n_rel)
        dense = "minilm" if p.text_features == "ngrams+minilm" else None
        W, B, loss = fit(X, rows, T, K, p.l2, p.max_iter)
        for _ in range(p.em_rounds):
            model = EdgeScorer(list(kg.relations), p.max_hops, vocab, W, B, dense)
            harden_ties(rows, path_log_probs(model, model.text_scores(X), rows, len(pair_question)), pair_question)
            W, B, loss = fit(X, rows, T, K, p.l2, p.max_iter, init=(W, B))
        stats = {"questions": float(len(questions)), "labelled": float(len(labelled)),
                 "tied": float(sum(len(lab.paths) > 1 for lab in labels)),
                 "label_f1": float(np.mean([lab.f1 for lab in labels])), "loss": loss,
                 "label_seconds": label_s, "train_seconds": time.perf_counter() - started}
        ctx.log(", ".join(f"{k}={v:.4g}" for k, v in stats.items()))
        ctx.progress(len(questions), len(questions))
        return {"model": EdgeScorer(list(kg.relations), p.max_hops, vocab, W, B, dense, stats)}


def features_matrix(vocab: Vocabulary, texts: list[str], kind: str | None):
    """n-gram features, with MiniLM sentence embeddings appended for `ngrams+minilm`."""
    X = vocab.transform(texts)
    if kind in ("ngrams+minilm", "minilm"):
        import scipy.sparse as sp

        from ..text import minilm

        X = sp.hstack([X, sp.csr_matrix(minilm.encode(texts))], format="csr")
    return X
