"""Metric ops: answer quality (EM, token F1, alias recall) and retrieval quality (recall@k, MRR, nDCG) against
the questions' gold answers and evidence. Aggregates go out on the `metrics` port (what `pipe tune`
optimizes); per-question rows are recorded for the TUI."""

from __future__ import annotations

from typing import Literal

from pipec.compiler.op import In, Op, OpParams, Out
from pydantic import Field

from .scoring import answer_recall, complete_at, exact_match, ndcg_at, recall_at, reciprocal_rank, token_f1


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def hit_rows(retrieval, limit: int = 10) -> list[dict]:
    return [{"chunk_id": h.chunk_id, "title": h.title, "score": round(h.score, 4)} for h in retrieval.hits[:limit]]


class EvalAnswers(Op):
    """Exact match and token F1 (SQuAD normalisation) and answer recall (a gold alias inside the prediction)."""

    name = "eval.answers"

    class Params(OpParams):
        prefix: str = Field("", description="prefix of the metric names (e.g. 'dev_')")

    inputs = {"answers": In("Answers"), "questions": In("Questions"),
              "retrievals": In("Retrievals", "shown beside each answer in the per-item rows", required=False)}
    outputs = {"metrics": Out("Metrics")}

    def run(self, ctx, answers, questions, retrievals=None):
        by_id = {a.qid: a for a in answers}
        hits = {r.qid: r for r in retrievals or []}
        rows, em, f1, rec = [], [], [], []
        for q in questions:
            if not q.answers:
                continue
            a = by_id.get(q.id)
            pred = a.text if a is not None and not a.error else ""
            scores = {"em": exact_match(pred, q.answers), "f1": token_f1(pred, q.answers),
                      "answer_recall": answer_recall(pred, q.answers)}
            em.append(scores["em"])
            f1.append(scores["f1"])
            rec.append(scores["answer_recall"])
            row = {"id": q.id, "question": q.question, "answer": pred, "gold": q.answers, **scores}
            if a is not None and a.error:
                row["error"] = a.error
            if q.id in hits:
                row["hits"] = hit_rows(hits[q.id])
            rows.append(row)
        ctx.record_items(rows)
        p = self.params.prefix
        missing = sum(1 for q in questions if q.answers and q.id not in by_id)
        return {"metrics": {f"{p}em": mean(em), f"{p}f1": mean(f1), f"{p}answer_recall": mean(rec),
                            f"{p}answered": float(len(rows) - missing), f"{p}questions": float(len(rows))}}


class EvalRetrieval(Op):
    """Recall@k (share of gold evidence in the top k hits), all-gold@k, MRR and nDCG@k, matching hits to gold
    titles or gold passage ids."""

    name = "eval.retrieval"

    class Params(OpParams):
        ks: list[int] = Field([2, 5, 10], min_length=1, description="cut-offs")
        by: Literal["title", "id"] = Field("title", description="match hit titles to gold_titles, or hit "
                                                                 "document ids to gold_ids")
        prefix: str = Field("", description="prefix of the metric names")

    inputs = {"retrievals": In("Retrievals"), "questions": In("Questions")}
    outputs = {"metrics": Out("Metrics")}

    def run(self, ctx, retrievals, questions):
        p = self.params
        by_id = {r.qid: r for r in retrievals}
        sums: dict[str, list[float]] = {}
        rows = []
        for q in questions:
            gold = set(q.gold_titles if p.by == "title" else q.gold_ids)
            r = by_id.get(q.id)
            if not gold or r is None:
                continue
            ranked = [h.title if p.by == "title" else h.doc_id for h in r.hits]
            scores = {"mrr": reciprocal_rank(ranked, gold)}
            for k in p.ks:
                scores[f"recall@{k}"] = recall_at(ranked, gold, k)
                scores[f"all@{k}"] = complete_at(ranked, gold, k)
                scores[f"ndcg@{k}"] = ndcg_at(ranked, gold, k)
            for name, value in scores.items():
                sums.setdefault(name, []).append(value)
            rows.append({"id": q.id, "question": q.question, "gold": sorted(gold), "hits": hit_rows(r, max(p.ks)),
                         **{k: round(v, 4) for k, v in scores.items()}})
        ctx.record_items(rows)
        metrics = {f"{p.prefix}{name}": mean(values) for name, values in sums.items()}
        metrics[f"{p.prefix}evaluated"] = float(len(rows))
        return {"metrics": metrics}
