"""An LLM judge of answer correctness, through the gateway: for each question, is the predicted answer
correct given the gold answers? Structured output (a verdict object); per-item rows record the reasons."""

from __future__ import annotations

import asyncio

from pipec.compiler.op import In, Op, OpParams, Out
from pydantic import BaseModel, Field

JUDGE_PROMPT = """You grade answers to questions. Decide whether the predicted answer is correct: it must mean the
same as one of the gold answers (extra correct detail is fine; a different or vaguer answer is not).

Question: {question}
Gold answers: {gold}
Predicted answer: {prediction}

Reply with a JSON object: {{"correct": true or false, "reason": "one short sentence"}}"""


class Verdict(BaseModel):
    correct: bool
    reason: str = ""


class EvalJudge(Op):
    """LLM-judge correctness of the answers against the gold answers (any litellm model; fake/... offline)."""

    name = "eval.judge"

    class Params(OpParams):
        model: str = Field(..., description="litellm model string of the judge (fake/judge offline)")
        prefix: str = Field("", description="prefix of the metric names")
        temperature: float = Field(0.0, ge=0, description="judge sampling temperature")

    inputs = {"answers": In("Answers"), "questions": In("Questions")}
    outputs = {"metrics": Out("Metrics")}

    async def run(self, ctx, answers, questions):
        by_id = {a.qid: a for a in answers}
        todo = [q for q in questions if q.answers]
        llm = ctx.llm

        async def judge(q):
            a = by_id.get(q.id)
            prediction = a.text if a is not None and not a.error else ""
            if not prediction:
                return q, prediction, Verdict(correct=False, reason="no answer"), None
            prompt = JUDGE_PROMPT.format(question=q.question, gold=" | ".join(q.answers), prediction=prediction)
            res = await llm.structured(self.params.model, prompt, schema=Verdict, item=q.id,
                                       temperature=self.params.temperature)
            return q, prediction, res.value, res.error

        results = await asyncio.gather(*(judge(q) for q in todo))
        rows, correct, errors = [], 0, 0
        for q, prediction, verdict, error in results:
            ok = bool(verdict and verdict.correct)
            correct += ok
            errors += error is not None
            rows.append({"id": q.id, "question": q.question, "answer": prediction, "gold": q.answers,
                         "judge_correct": float(ok), "reason": verdict.reason if verdict else None, "error": error})
        ctx.record_items(rows)
        p = self.params.prefix
        n = len(rows)
        return {"metrics": {f"{p}judge_accuracy": correct / n if n else 0.0, f"{p}judge_errors": float(errors),
                            f"{p}judged": float(n)}}
