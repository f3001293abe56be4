import pytest
from pipec.ops.text.scoring import (
    answer_recall,
    complete_at,
    exact_match,
    ndcg_at,
    normalize_answer,
    recall_at,
    reciprocal_rank,
    token_f1,
)


def test_squad_normalization():
    assert normalize_answer("The  Eiffel-Tower!") == "eiffeltower"
    assert normalize_answer("an Apple, a day") == "apple day"


def test_exact_match_and_f1():
    assert exact_match("the Berlin", ["Berlin"]) == 1.0
    assert exact_match("Berlin, Germany", ["Berlin"]) == 0.0
    assert token_f1("Berlin Germany", ["Berlin"]) == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert token_f1("Paris", ["Berlin", "paris"]) == 1.0
    assert token_f1("", ["x"]) == 0.0


def test_answer_recall_word_boundaries():
    assert answer_recall("It was completed in 1889 by Eiffel", ["1889"]) == 1.0
    assert answer_recall("18890", ["1889"]) == 0.0


def test_ranking_metrics():
    ranked = ["a", "x", "b", "y"]
    gold = {"a", "b"}
    assert recall_at(ranked, gold, 1) == 0.5
    assert recall_at(ranked, gold, 3) == 1.0
    assert complete_at(ranked, gold, 2) == 0.0 and complete_at(ranked, gold, 3) == 1.0
    assert reciprocal_rank(["x", "b"], gold) == 0.5
    assert reciprocal_rank(["x"], gold) == 0.0
    import math
    expected = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert ndcg_at(ranked, gold, 3) == pytest.approx(expected)
    assert ndcg_at(["a", "a", "b"], gold, 3) == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))
