"""Text normalisation shared by the indexes and the retrieval strategies: accent folding and title words.

Its own module so that ops/text/indexes.py (BM25 tokens) and ops/text/multihop.py (title links) both use it
without importing each other."""

from __future__ import annotations

import re
import unicodedata

_PAREN = re.compile(r"\s*\([^)]*\)\s*$")
WORDS = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """Lower case without accents: 'Aschenbrödel' -> 'aschenbrodel'."""
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def title_words(title: str) -> tuple[str, ...]:
    """A title as folded words, without a trailing '(disambiguation)'."""
    return tuple(WORDS.findall(fold(_PAREN.sub("", title))))
