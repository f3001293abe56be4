"""A model-free lexical embedder: signed feature hashing of word unigrams and bigrams, log term frequency,
L2-normalised. Instant, deterministic, no files; a cosine between two vectors approximates word overlap."""

from __future__ import annotations

import re
import zlib
from functools import lru_cache

import numpy as np
from pipec.compiler.process_caches import register_process_cache

WORD = re.compile(r"\w+", re.UNICODE)
ROWS_MEMO = 20_000  # texts whose hashed rows are kept per process


def features(text: str) -> list[str]:
    words = WORD.findall(text.lower())
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def encode(texts: list[str], dim: int = 1024) -> np.ndarray:
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        cols, values = _sparse_row(text, dim)
        out[row, cols] = values
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


@register_process_cache
def forget_rows() -> None:
    _sparse_row.cache_clear()


@lru_cache(maxsize=ROWS_MEMO)
def _sparse_row(text: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """A text's non-normalised row as (columns, values), memoized: indexes, queries and readers of every tune
    trial hash the same chunks, questions and sentences again."""
    counts: dict[int, float] = {}
    for feat in features(text):
        h = zlib.crc32(feat.encode("utf-8"))
        col = (h >> 1) % dim
        counts[col] = counts.get(col, 0.0) + (1.0 if h & 1 else -1.0)
    cols = np.fromiter(counts, dtype=np.int64, count=len(counts))
    values = np.array([np.sign(v) * np.log1p(abs(v)) for v in counts.values()], dtype=np.float32)
    cols.flags.writeable = values.flags.writeable = False
    return cols, values
