"""Retrieval strategies over an index: one hop, or two hops where the second hop's queries are the question
plus each of the first hop's best passages (text or title), fused by reciprocal rank."""

from __future__ import annotations

from typing import Any

from .embedders import record_text
from .indexes import Ranked, fuse


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


def seed_query(question: str, chunk: Any, expand_with: str, max_chars: int = 600) -> str:
    if expand_with == "title":
        return f"{question} {chunk.title}"
    return f"{question} {record_text(chunk, True)[:max_chars]}"


async def two_hop(ctx: Any, index: Any, questions: list[str], k: int, seeds: int, depth: int, expand_with: str,
                  hop_decay: float, rrf_k: int, per_doc: int) -> list[Ranked]:
    """Hop 1: the question. Hop 2: question + each of the top `seeds` passages. Final: RRF of hop 1 (weight 1)
    and the hop-2 lists (weight hop_decay ** seed rank), so passages found from strong seeds rank high."""
    first = await index.search(ctx, questions, depth)
    first = [limit_per_doc(index.chunks, r, per_doc) for r in first]
    queries, owners = [], []
    for qi, ranked in enumerate(first):
        for s, (row, _) in enumerate(ranked[:seeds]):
            queries.append(seed_query(questions[qi], index.chunks[row], expand_with))
            owners.append((qi, s))
    second = await index.search(ctx, queries, depth) if queries else []
    per_question: list[list[tuple[Ranked, float]]] = [[(r, 1.0)] for r in first]
    for (qi, s), ranked in zip(owners, second, strict=False):
        per_question[qi].append((limit_per_doc(index.chunks, ranked, per_doc), hop_decay ** s))
    out = []
    for lists in per_question:
        fused = fuse([r for r, _ in lists], "rrf", [w for _, w in lists], rrf_k)
        out.append(limit_per_doc(index.chunks, fused, per_doc)[:k])
    return out
