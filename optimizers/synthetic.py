"""`tune.synthetic`: an objective with a known optimum, for tests, examples and benchmarks of `pipe tune`.

score = 1 - (x - 0.3)^2 - ((y - 4) / 10)^2 + bonus(kind) + 0.05 if the prompt asks to think step by step,
plus, when `questions` is set, a deterministic estimation error of size `noise / sqrt(questions)` (as if the
score were measured on that many questions): the optimum is x=0.3, y=4, kind=b, a step-by-step prompt.
"""

from __future__ import annotations

import hashlib
import math
import random
import time

from pipec.compiler.op import Op, OpParams, Out
from pydantic import Field

KIND_BONUS = {"a": 0.0, "b": 0.1, "c": -0.1}


def synthetic_score(x: float, y: int, kind: str, prompt: str) -> float:
    bonus = 0.05 if "step by step" in prompt.lower() else 0.0
    return 1.0 - (x - 0.3) ** 2 - ((y - 4) / 10) ** 2 + KIND_BONUS[kind] + bonus


class Synthetic(Op):
    """A synthetic objective with a known optimum (x=0.3, y=4, kind=b, a 'step by step' prompt)."""

    name = "tune.synthetic"

    class Params(OpParams):
        x: float = Field(0.0, ge=-1, le=1, description="continuous parameter (optimum 0.3)")
        y: int = Field(0, ge=0, le=10, description="integer parameter (optimum 4)")
        kind: str = Field("a", pattern="^[abc]$", description="categorical parameter a|b|c (optimum b)")
        prompt: str = Field("Answer the question.", min_length=1, description="a prompt; 'step by step' helps")
        questions: int | None = Field(None, ge=1, description="evaluation size: adds estimation noise")
        noise: float = Field(0.3, ge=0, description="noise scale of a small evaluation")
        sleep: float = Field(0.0, ge=0, description="seconds to wait (to test timeouts and kills)")
        fail_above_x: float | None = Field(None, description="raise an error when x is above this")

    outputs = {"metrics": Out("Metrics", "score (maximize), loss (minimize), questions")}

    def run(self, ctx, **_):
        p = self.params
        if p.sleep:
            end = time.monotonic() + p.sleep
            while time.monotonic() < end and not ctx.cancelled:
                time.sleep(min(0.05, p.sleep))
        if p.fail_above_x is not None and p.x > p.fail_above_x:
            raise ValueError(f"x={p.x} is above {p.fail_above_x}")
        score = synthetic_score(p.x, p.y, p.kind, p.prompt)
        if p.questions:
            seed = hashlib.sha256(f"{p.x}|{p.y}|{p.kind}|{p.prompt}|{p.questions}".encode()).hexdigest()
            score += random.Random(seed).gauss(0, 1) * p.noise / math.sqrt(p.questions)
        rows = [{"id": f"q{i}", "question": f"q{i}", "score": round(score - 0.1 * i, 4)} for i in range(3)]
        ctx.record_items(rows)
        return {"metrics": {"score": score, "loss": -score, "questions": float(p.questions or 0)}}
