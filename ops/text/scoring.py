"""Answer and retrieval scores: SQuAD-normalised exact match and token F1, alias recall; recall@k, MRR, nDCG."""

from __future__ import annotations

import math
import re
import string
from collections import Counter

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, golds: list[str]) -> float:
    pred = normalize_answer(prediction)
    return float(any(pred == normalize_answer(g) for g in golds)) if golds else 0.0


def f1_one(prediction: str, gold: str) -> float:
    pred, ref = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, golds: list[str]) -> float:
    return max((f1_one(prediction, g) for g in golds), default=0.0)


def answer_recall(prediction: str, golds: list[str]) -> float:
    """1 when some gold alias occurs (normalised, on word boundaries) inside the prediction."""
    pred = f" {normalize_answer(prediction)} "
    return float(any(normalize_answer(g) and f" {normalize_answer(g)} " in pred for g in golds))


def dedupe(keys: list[str]) -> list[str]:
    return list(dict.fromkeys(keys))


def recall_at(ranked: list[str], gold: set[str], k: int) -> float:
    return len(gold & set(ranked[:k])) / len(gold) if gold else 0.0


def complete_at(ranked: list[str], gold: set[str], k: int) -> float:
    return float(bool(gold) and gold <= set(ranked[:k]))


def reciprocal_rank(ranked: list[str], gold: set[str]) -> float:
    for i, key in enumerate(ranked):
        if key in gold:
            return 1.0 / (i + 1)
    return 0.0


def ndcg_at(ranked: list[str], gold: set[str], k: int) -> float:
    """Binary relevance; a key counts once (its first occurrence)."""
    seen: set[str] = set()
    dcg = 0.0
    for i, key in enumerate(ranked[:k]):
        if key in gold and key not in seen:
            dcg += 1.0 / math.log2(i + 2)
        seen.add(key)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(gold), k)))
    return dcg / ideal if ideal else 0.0
