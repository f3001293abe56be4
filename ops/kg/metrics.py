"""`eval.kgqa`: Hits@1, micro- and macro-F1 over answer sets, LLM calls and wall time per question, and the
share of answers that fell back after invalid LLM plans (`kg.plan`).

Answers are compared to the gold answers case-insensitively after whitespace normalisation (KG answers are
entity names, so no SQuAD normalisation). Hits@1: the top-ranked answer is a gold answer. Micro-F1: summed
true positives over summed predicted and gold set sizes, over all questions."""

from __future__ import annotations

from pipec.compiler.op import In, Op, OpParams, Out
from pydantic import Field

from ..data import Answer, Question


def norm(name: str) -> str:
    return " ".join(name.lower().split())


def question_scores(answer: Answer | None, question: Question) -> dict[str, float]:
    gold = {norm(g) for g in question.answers}
    predicted = [] if answer is None or answer.error else (answer.answers or ([answer.text] if answer.text else []))
    pred = {norm(p) for p in predicted}
    tp = len(pred & gold)
    return {"hits@1": float(bool(predicted) and norm(predicted[0]) in gold), "tp": float(tp),
            "n_pred": float(len(pred)), "n_gold": float(len(gold)),
            "f1": 2 * tp / (len(pred) + len(gold)) if tp else 0.0}


def answer_scores(answers: list[Answer], questions: list[Question]) -> dict[str, float]:
    """Aggregate scores of answers against questions (matched by id; a missing answer scores 0)."""
    by_id = {a.qid: a for a in answers}
    rows = [question_scores(by_id.get(q.id), q) for q in questions if q.answers]
    n = max(len(rows), 1)
    tp, n_pred, n_gold = (sum(r[k] for r in rows) for k in ("tp", "n_pred", "n_gold"))
    calls = [float(a.meta.get("llm_calls", 0)) for a in answers]
    seconds = [float(a.meta.get("seconds", 0.0)) for a in answers]
    planned = [question_scores(by_id.get(q.id), q)["hits@1"] * (not fell_back(by_id.get(q.id)))
               for q in questions if q.answers]
    return {"hits@1": sum(r["hits@1"] for r in rows) / n,
            # beside hits@1, so that an answer from a fallback is never taken for the planner's
            "fallback_rate": sum(fell_back(a) for a in answers) / max(len(answers), 1),
            "hits@1_planned": sum(planned) / n,
            "micro_f1": 2 * tp / (n_pred + n_gold) if tp else 0.0,
            "macro_f1": sum(r["f1"] for r in rows) / n,
            "llm_calls_per_question": sum(calls) / max(len(calls), 1),
            "seconds_per_question": sum(seconds) / max(len(seconds), 1),
            "questions": float(len(rows))}


def fell_back(answer: Answer | None) -> bool:
    """True when an LLM planner's answer came from its fallback (prefix or edge scorer), not its own plan."""
    return answer is not None and bool(answer.meta.get("fallback"))


class EvalKGQA(Op):
    """KGQA metrics: Hits@1, micro-F1 and macro-F1 over answer sets, LLM calls and wall time per question
    (from each answer's meta), per hop count too when the questions know it."""

    name = "eval.kgqa"

    class Params(OpParams):
        prefix: str = Field("", description="prefix of the metric names (e.g. 'dev_')")
        per_hop: bool = Field(True, description="also report hits@1 per hop count (questions' meta['hops'])")

    inputs = {"answers": In("Answers"), "questions": In("Questions")}
    outputs = {"metrics": Out("Metrics")}

    def run(self, ctx, answers, questions):
        p = self.params.prefix
        scores = answer_scores(answers, questions)
        metrics = {f"{p}{k}": v for k, v in scores.items()}
        if scores["fallback_rate"] > 0.5:
            ctx.warn(f"{scores['fallback_rate']:.0%} of the answers come from the planner's fallback, not its plans: "
                     f"hits@1 {scores['hits@1']:.3f} is mostly the fallback's; the planner's own is "
                     f"{scores['hits@1_planned']:.3f} (hits@1_planned)")
        hops = sorted({q.meta.get("hops") for q in questions if isinstance(q.meta.get("hops"), int)})
        if self.params.per_hop and len(hops) > 1:
            for h in hops:
                part = [q for q in questions if q.meta.get("hops") == h]
                metrics[f"{p}hits@1_{h}hop"] = answer_scores(answers, part)["hits@1"]
        by_id = {a.qid: a for a in answers}
        ctx.record_items([item_row(q, by_id.get(q.id)) for q in questions])
        return {"metrics": metrics}


def item_row(q: Question, a: Answer | None) -> dict:
    scores = question_scores(a, q)
    return {"id": q.id, "question": q.question, "gold": q.answers,
            "answers": (a.answers[:10] if a else []), "evidence": (a.evidence[:3] if a else []),
            "hits@1": scores["hits@1"], "f1": round(scores["f1"], 4),
            **({"error": a.error} if a is not None and a.error else {})}
