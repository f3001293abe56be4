"""Chunking functions: each returns (start, end) character spans of a text; ops turn spans into Chunks.

- tokens: windows of `size` tokens of the MiniLM WordPiece tokenizer (the default embedder's), `overlap` tokens
- sentences: whole sentences packed up to `size` words, the last `overlap` sentences repeated
- recursive: split by the first separator that yields pieces within `size` characters, then by the next
"""

from __future__ import annotations

import re

Span = tuple[int, int]
SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9#*-])|\n\s*\n")
DEFAULT_SEPARATORS = ["\n\n", "\n", ". ", " "]


def trim(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def token_spans(text: str, size: int, overlap: int) -> list[Span]:
    from .minilm import tokenizer

    offsets = [o for o in tokenizer(None).encode(text, add_special_tokens=False).offsets if o[1] > o[0]]
    if not offsets:
        return []
    step = max(1, size - overlap)
    spans = []
    for first in range(0, len(offsets), step):
        last = min(first + size, len(offsets)) - 1
        spans.append((offsets[first][0], offsets[last][1]))
        if last == len(offsets) - 1:
            break
    return spans


def sentence_spans(text: str) -> list[Span]:
    spans, start = [], 0
    for m in SENTENCE_END.finditer(text):
        s, e = trim(text, start, m.start())
        if e > s:
            spans.append((s, e))
        start = m.end()
    s, e = trim(text, start, len(text))
    if e > s:
        spans.append((s, e))
    return spans


def sentence_chunks(text: str, size: int, overlap: int) -> list[Span]:
    """Pack sentences while the word count stays within `size` (a longer sentence is a chunk of its own)."""
    sentences = sentence_spans(text)
    words = [len(text[s:e].split()) for s, e in sentences]
    spans, i = [], 0
    while i < len(sentences):
        j, total = i, 0
        while j < len(sentences) and (j == i or total + words[j] <= size):
            total += words[j]
            j += 1
        spans.append((sentences[i][0], sentences[j - 1][1]))
        if j >= len(sentences):
            break
        i = max(i + 1, j - overlap)
    return spans


def recursive_spans(text: str, size: int, overlap: int, separators: list[str] | None = None) -> list[Span]:
    """Pieces of at most `size` characters, cut at the coarsest separator possible, merged greedily; each chunk
    after the first starts up to `overlap` characters before the previous one ends (on a word boundary)."""
    # with an overlap, pieces stay small enough that an overlap plus a new piece fits in one chunk
    pieces = _split(text, 0, len(text), max(1, size - overlap), separators or DEFAULT_SEPARATORS)
    spans: list[Span] = []
    cur_start, cur_end = None, None
    for s, e in pieces:
        if cur_start is None:
            cur_start, cur_end = s, e
        elif e - cur_start <= size:
            cur_end = e
        else:
            spans.append((cur_start, cur_end))
            back = overlap_start(text, cur_start, cur_end, overlap)
            cur_start, cur_end = (back if overlap and e - back <= size else s), e
    if cur_start is not None:
        spans.append((cur_start, cur_end))
    return [t for t in (trim(text, s, e) for s, e in spans) if t[1] > t[0]]


def overlap_start(text: str, start: int, end: int, overlap: int) -> int:
    """The first word start at or after `end - overlap` (the overlap begins on a word)."""
    pos = max(start, end - overlap)
    while pos < end and pos > start and not text[pos - 1].isspace():
        pos += 1
    return pos


def _split(text: str, start: int, end: int, size: int, separators: list[str]) -> list[Span]:
    if end - start <= size:
        return [(start, end)]
    if not separators:  # no separator left: hard cut
        return [(i, min(i + size, end)) for i in range(start, end, size)]
    sep, rest = separators[0], separators[1:]
    out, pos = [], start
    while pos < end:
        cut = text.find(sep, pos, end)
        stop = end if cut < 0 else cut + len(sep)
        out.extend(_split(text, pos, stop, size, rest) if stop - pos > size else [(pos, stop)])
        pos = stop
    return out
