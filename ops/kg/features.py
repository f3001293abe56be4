"""Question text features for the edge scorer: word n-grams of the question with the topic entity masked
(`what movies did ENT act in`), so the model learns the wording of relations, not entity names."""

from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp

WORD = re.compile(r"\w+|[^\w\s]")
MASK = "ENT"


def mask_topics(text: str, topics: list[str]) -> str:
    """Replace each topic entity mention (case-insensitive) by ENT; longest first."""
    for topic in sorted(topics, key=len, reverse=True):
        if not topic:
            continue
        i = text.lower().find(topic.lower())
        if i >= 0:
            text = text[:i] + f" {MASK} " + text[i + len(topic):]
    return text


def ngrams(text: str, n_max: int = 3) -> list[str]:
    words = ["<s>"] + [w if w == MASK else w.lower() for w in WORD.findall(text)] + ["</s>"]
    out = []
    for n in range(1, n_max + 1):
        out.extend(" ".join(words[i:i + n]) for i in range(len(words) - n + 1))
    return out


class Vocabulary:
    """n-gram -> column, fixed after training (unseen n-grams are ignored at answer time)."""

    def __init__(self, n_max: int = 3, min_count: int = 1):
        self.n_max, self.min_count = n_max, min_count
        self.index: dict[str, int] = {}

    def fit(self, texts: list[str]) -> Vocabulary:
        counts: dict[str, int] = {}
        for text in texts:
            for g in set(ngrams(text, self.n_max)):
                counts[g] = counts.get(g, 0) + 1
        kept = sorted(g for g, c in counts.items() if c >= self.min_count)
        self.index = {g: i for i, g in enumerate(kept)}
        return self

    def __len__(self) -> int:
        return len(self.index)

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        """Binary n-gram indicators, each row scaled to unit length."""
        indptr, indices = [0], []
        for text in texts:
            cols = sorted({self.index[g] for g in ngrams(text, self.n_max) if g in self.index})
            indices.extend(cols)
            indptr.append(len(indices))
        counts = np.diff(indptr)
        data = np.repeat(1.0 / np.sqrt(np.maximum(counts, 1)), counts).astype(np.float32)
        return sp.csr_matrix((data, np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int64)),
                             shape=(len(texts), len(self.index)))
