"""A model-free lexical embedder: signed feature hashing of word unigrams and bigrams, log term frequency,
L2-normalised. Instant, deterministic, no files; a cosine between two vectors approximates word overlap."""

from __future__ import annotations

import re
import zlib

import numpy as np

WORD = re.compile(r"\w+", re.UNICODE)


def features(text: str) -> list[str]:
    words = WORD.findall(text.lower())
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def encode(texts: list[str], dim: int = 1024) -> np.ndarray:
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        counts: dict[int, float] = {}
        for feat in features(text):
            h = zlib.crc32(feat.encode("utf-8"))
            col = (h >> 1) % dim
            counts[col] = counts.get(col, 0.0) + (1.0 if h & 1 else -1.0)
        for col, value in counts.items():
            out[row, col] = np.sign(value) * np.log1p(abs(value))
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)
