"""eval.kgqa: Hits@1, micro-F1 over answer sets, LLM calls and time per question."""

import pytest
from pipec.ops.data import Answer, Question
from pipec.ops.kg.metrics import EvalKGQA, answer_scores

from .helpers import ctx

QS = [Question("a", "?", answers=["X", "Y"], meta={"hops": 1}), Question("b", "?", answers=["Z"], meta={"hops": 2}),
      Question("c", "?", answers=["W"], meta={"hops": 2})]
ANSWERS = [Answer("a", "x", answers=["x", "Q"], meta={"llm_calls": 1, "seconds": 0.5}),
           Answer("b", "Q", answers=["Q", "Z"], meta={"llm_calls": 3, "seconds": 1.5})]


def test_scores_by_hand():
    s = answer_scores(ANSWERS, QS)
    assert s["hits@1"] == pytest.approx(1 / 3)  # a: top answer x matches X (case-insensitive); b: Q is wrong
    assert s["micro_f1"] == pytest.approx(2 * 2 / (4 + 4))  # tp 2; predicted 4; gold 4
    assert s["macro_f1"] == pytest.approx((0.5 + 2 / 3 + 0) / 3)
    assert s["llm_calls_per_question"] == 2 and s["seconds_per_question"] == 1.0


def test_op_reports_per_hop():
    m = EvalKGQA(EvalKGQA.Params(prefix="dev_")).run(ctx(), answers=ANSWERS, questions=QS)["metrics"]
    assert m["dev_hits@1_1hop"] == 1.0 and m["dev_hits@1_2hop"] == 0.0 and m["dev_questions"] == 3
