"""Weak supervision for the edge scorer: the relation paths (directed relations, in order) from a question's
topic entities whose end set best matches the gold answers (F1 over answer sets; ties all kept)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .graph import KnowledgeGraph


@dataclass
class PathLabel:
    paths: list[tuple[int, ...]]  # the best paths (ties), shortest first
    f1: float
    masks: list[list[int]]  # per path, per step: bit mask of the directed relations available there


def bits(mask: int) -> list[int]:
    out, a = [], 0
    while mask:
        if mask & 1:
            out.append(a)
        mask >>= 1
        a += 1
    return out


def inverse_mask(mask: int, n_rel: int) -> int:
    """Swap the forward and inverse halves of an action bit mask."""
    low = mask & ((1 << n_rel) - 1)
    return (mask >> n_rel) | (low << n_rel)


def set_f1(pred: np.ndarray, gold_flag: np.ndarray, n_gold: int) -> float:
    if pred.size == 0 or n_gold == 0:
        return 0.0
    tp = int(np.count_nonzero(gold_flag[pred]))
    return 0.0 if tp == 0 else 2 * tp / (pred.size + n_gold)


def label_paths(kg: KnowledgeGraph, topics: list[int], gold: list[int], lengths: list[int],
                min_f1: float = 0.5) -> PathLabel | None:
    """Enumerate directed relation paths of the given lengths from the topic entities (pruned by what the
    gold answers can be reached by) and keep the ones with the best F1 (>= min_f1)."""
    if not topics or not gold:
        return None
    n_rel = len(kg.relations)
    gold_arr = np.unique(np.asarray(gold, dtype=np.int32))
    gold_flag = np.zeros(kg.n_entities, dtype=bool)
    gold_flag[gold_arr] = True
    topic_arr = np.unique(np.asarray(topics, dtype=np.int32))
    gold_flag[topic_arr] = False  # answers never include the topic entity
    n_gold = int(np.count_nonzero(gold_flag))
    into_gold = inverse_mask(kg.available(gold_arr), n_rel)  # actions that can end on a gold answer
    max_len = max(lengths)
    best: list[tuple[int, ...]] = []
    best_f1 = min_f1

    def visit(prefix: tuple[int, ...], frontier: np.ndarray) -> None:
        nonlocal best, best_f1
        depth = len(prefix) + 1
        mask = kg.available(frontier)
        if depth == max_len:
            mask &= into_gold
        for a in bits(mask):
            nxt = kg.step(frontier, a)
            nxt = nxt[~np.isin(nxt, topic_arr)] if nxt.size else nxt
            path = prefix + (a,)
            if depth in lengths and nxt.size and gold_flag[nxt].any():
                f1 = set_f1(nxt, gold_flag, n_gold)  # nxt is kg.walk(topics, path): topics never revisited
                if f1 > best_f1 + 1e-9:
                    best, best_f1 = [path], f1
                elif f1 >= best_f1 - 1e-9:
                    best.append(path)
            if depth < max_len and nxt.size:
                visit(path, nxt)

    visit((), topic_arr)
    if not best:
        return None
    shortest = min(len(p) for p in best)
    best = sorted(p for p in best if len(p) == shortest)
    return PathLabel(best, best_f1, [step_masks(kg, topic_arr, p) for p in best])


def step_masks(kg: KnowledgeGraph, start: np.ndarray, path: tuple[int, ...]) -> list[int]:
    """The available-relation mask before each step of the path (and after the last one)."""
    masks, frontier = [], start
    for a in path:
        masks.append(kg.available(frontier))
        frontier = kg.step(frontier, a)
        frontier = frontier[~np.isin(frontier, start)]
    masks.append(kg.available(frontier))
    return masks
