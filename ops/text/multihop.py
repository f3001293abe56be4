"""Retrieval strategies over an index: one hop, or two (or three) hops.

Two hops (for questions whose answer needs two passages, e.g. HotpotQA, MuSiQue):
1. Hop 1 ranks passages for the question; passages whose title the question mentions get `link_weight` more.
2. Each of the top `seeds` passages p seeds a second query: the question + the start of p's text (`seed_chars`
   characters), both without p's title words (`drop_title`), or + p's title alone. The hits d of that query
   score by their rank, plus `link_weight` when p's text mentions d's title (a hyperlink-like bridge).
3. A pair (p, d) scores hop1(p) + hop2(d | p); the final ranking walks the pairs best first, emitting p then d,
   and fills up with the rest of hop 1. Scores are reciprocal ranks 1 / (rrf_k + rank).
4. `hops: 3` extends the best `seeds` pairs the same way with question + d's text (chains p -> d -> e).
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from .embedders import record_text
from .indexes import Ranked
from .normalize import WORDS as _WORDS
from .normalize import fold, title_words

__all__ = ["TitleLinker", "drop_title_words", "fold", "limit_per_doc", "multi_hop", "seed_query", "title_words", "two_hop"]
MAX_TITLE_WORDS = 8


def limit_per_doc(chunks: list, ranked: Ranked, per_doc: int) -> Ranked:
    if per_doc <= 0:
        return ranked
    seen: dict[str, int] = {}
    out = []
    for row, score in ranked:
        doc = chunks[row].doc_id
        if seen.get(doc, 0) < per_doc:
            seen[doc] = seen.get(doc, 0) + 1
            out.append((row, score))
    return out


class TitleLinker:
    """Finds which documents a text mentions by title (word n-gram lookup: linear in the text's length)."""

    def __init__(self, chunks: list, min_chars: int = 4):
        self.rows: dict[tuple[str, ...], list[int]] = {}
        for row, c in enumerate(chunks):
            key = title_words(c.title or "")
            if key and len(key) <= MAX_TITLE_WORDS and len(" ".join(key)) >= min_chars:
                self.rows.setdefault(key, []).append(row)

    def mentioned(self, text: str) -> set[int]:
        words = _WORDS.findall(fold(text))
        out: set[int] = set()
        for n in range(1, MAX_TITLE_WORDS + 1):
            for i in range(len(words) - n + 1):
                rows = self.rows.get(tuple(words[i:i + n]))
                if rows:
                    out.update(rows)
        return out


_LINKERS: weakref.WeakKeyDictionary[Any, TitleLinker] = weakref.WeakKeyDictionary()
_LINKERS_LOCK = threading.Lock()


def linker_for(index: Any) -> TitleLinker:
    """The title linker of an index's chunks, built once per index object (again after unpickling: cheap,
    linear in the number of chunks) and kept beside it rather than on it."""
    with _LINKERS_LOCK:
        linker = _LINKERS.get(index)
        if linker is None:
            linker = _LINKERS[index] = TitleLinker(index.chunks)
    return linker


def drop_title_words(text: str, title: str) -> str:
    """`text` without the content words of `title` (stop words stay): 'Where was Kevin Durant born?' with
    title 'Kevin Durant' -> 'Where was born?'."""
    from bm25s.stopwords import STOPWORDS_EN

    words = set(title_words(title or "")) - set(STOPWORDS_EN)
    if not words:
        return text
    return " ".join(_WORDS.sub(lambda m: "" if fold(m.group()) in words else m.group(), text).split())


def seed_query(question: str, chunk: Any, expand_with: str, max_chars: int = 200, drop_title: bool = False) -> str:
    """The next hop's query: the question + the seed's title, or + the first `max_chars` characters of the seed.
    `drop_title` removes the seed's title words from both: the part of the question the seed already answers,
    and the name that would otherwise pull in passages like the seed (same-named places, sibling articles)."""
    if expand_with == "title":
        return f"{question} {chunk.title}"
    if drop_title:
        return f"{drop_title_words(question, chunk.title)} {drop_title_words(chunk.text[:max_chars], chunk.title)}"
    return f"{question} {record_text(chunk, True)[:max_chars]}"


def rank_scores(ranked: Ranked, rrf_k: int, boosted: set[int], link_weight: float) -> dict[int, float]:
    scores = {row: 1.0 / (rrf_k + rank + 1) for rank, (row, _) in enumerate(ranked)}
    for row in boosted:
        scores[row] = scores.get(row, 0.0) + link_weight
    return scores


def ranked_by(scores: dict[int, float]) -> Ranked:
    return sorted(scores.items(), key=lambda x: (-x[1], x[0]))


async def multi_hop(ctx: Any, index: Any, questions: list[str], k: int, hops: int, seeds: int, depth: int,
                    expand_with: str, link_weight: float, rrf_k: int, per_doc: int,
                    seed_chars: int = 200, drop_title: bool = True) -> list[Ranked]:
    """Chains of `hops` passages: hop 1 as above; each later hop extends the best `seeds` chains with the hits of
    the query question + the chain's last passage. The final ranking walks the longest chains best first."""
    chunks = index.chunks
    linker = linker_for(index) if link_weight > 0 else None
    first_raw = await index.search(ctx, questions, depth)
    first = []
    for q, ranked in zip(questions, first_raw, strict=True):
        linked = linker.mentioned(q) if linker else set()
        first.append(limit_per_doc(chunks, ranked_by(rank_scores(ranked, rrf_k, linked, link_weight)), per_doc))
    beams: list[list[tuple[float, tuple[int, ...]]]] = [[(s, (row,)) for row, s in ranked[:seeds]]
                                                        for ranked in first]
    for hop in range(2, hops + 1):
        query = (expand_with, seed_chars, drop_title)
        beams = await _extend(ctx, index, questions, beams, depth, query, linker, link_weight, rrf_k)
        beams = [sorted(b, key=lambda x: (-x[0], x[1])) for b in beams]
        # the next hop extends only the best `seeds` chains; the walk below uses all of the last hop's chains
        if hop < hops:
            beams = [b[:seeds] for b in beams]
    return [_walk(chunks, beam, first[qi], k, per_doc) for qi, beam in enumerate(beams)]


async def _extend(ctx, index, questions, beams, depth, query, linker, link_weight, rrf_k):
    chunks = index.chunks
    expand_with, seed_chars, drop_title = query
    queries, owners = [], []
    for qi, beam in enumerate(beams):
        for score, chain in beam:
            queries.append(seed_query(questions[qi], chunks[chain[-1]], expand_with, seed_chars, drop_title))
            owners.append((qi, score, chain))
    results = await index.search(ctx, queries, depth) if queries else []
    out: list[list[tuple[float, tuple[int, ...]]]] = [[] for _ in questions]
    for (qi, score, chain), ranked in zip(owners, results, strict=True):
        linked = linker.mentioned(chunks[chain[-1]].text) if linker else set()
        docs = {chunks[r].doc_id for r in chain}
        for row, s in rank_scores(ranked, rrf_k, linked, link_weight).items():
            if chunks[row].doc_id not in docs:
                out[qi].append((score + s, chain + (row,)))
    return out


async def two_hop(ctx: Any, index: Any, questions: list[str], k: int, seeds: int, depth: int, expand_with: str,
                  link_weight: float, rrf_k: int, per_doc: int) -> list[Ranked]:
    return await multi_hop(ctx, index, questions, k, 2, seeds, depth, expand_with, link_weight, rrf_k, per_doc)


def _walk(chunks: list, chains: list[tuple[float, tuple[int, ...]]], first: Ranked, k: int,
          per_doc: int) -> Ranked:
    out: dict[int, float] = {}
    per: dict[str, int] = {}

    def add(row: int, score: float) -> None:
        doc = chunks[row].doc_id
        if len(out) >= k or row in out or (per_doc and per.get(doc, 0) >= per_doc):
            return
        per[doc] = per.get(doc, 0) + 1
        out[row] = score

    for score, chain in chains:
        if len(out) >= k:
            break
        for row in chain:
            add(row, score)
    for row, score in first:
        add(row, score)
    return list(out.items())[:k]
