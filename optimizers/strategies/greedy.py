"""Greedy coordinate descent: tune one parameter at a time, the others fixed at the best values so far.

Starts from the graph's own values. For each parameter in order, every grid value is tried and the best kept
(ties keep the current value); after a full pass without improvement the config is a coordinate-wise local
optimum. Plain coordinate descent stops there, which is where it stalled on the RAG example (0.951 of the
grid optimum after 11 of 20 trials: chunk_size and chunk_overlap only help together, bench/tune/
seeds_greedy.py). So it then tries pair moves: two parameters changed at once, neighbouring parameters in
the order first; the first pair move that improves becomes the new start of coordinate descent. It stops
when no single or pair move improves (or at the study's budget).

The default order is models first (generator and embedding models, then the rest in pipeline order), which the
RAG hyperparameter study found better than the plain pipeline order (`order: pipeline`); a list of paths gives
an explicit order. Everything is derived from the history, so a resumed study continues exactly.
"""

from __future__ import annotations

import itertools
from typing import Any

from .base import History, Proposal, Strategy, is_pending

MAX_PASSES = 10
MAX_RESTARTS = 50


class Greedy(Strategy):
    name = "greedy"

    def ask(self, history: History, pending=()) -> Proposal | None:
        current = dict(self.ctx.defaults)
        for restart in range(MAX_RESTARTS):
            step = self._descend(history, pending, current, restart)
            if isinstance(step, Proposal) or step is None:
                return step
            current = step
            step = self._pair_move(history, pending, current)
            if isinstance(step, Proposal) or step is None:
                return step
            current = step
        return None

    def _taken(self, history: History, pending, config) -> bool:
        return history.seen(config) or is_pending(pending, config)

    def _descend(self, history: History, pending, current: dict[str, Any], restart: int):
        """A Proposal, None (waiting for pending trials), or the converged config."""
        label = "greedy" + (f" (after pair move {restart})" if restart else "")
        for pass_number in range(1, MAX_PASSES + 1):
            changed = False
            for path in self.ctx.order:
                candidates = [{**current, path: v} for v in self.space.params[path].grid()]
                if current not in candidates:
                    candidates.insert(0, dict(current))
                for config in candidates:
                    if not self._taken(history, pending, config):
                        return Proposal(config, note=f"{label} pass {pass_number}: {path}")
                if any(is_pending(pending, c) for c in candidates):
                    return None  # this coordinate's decision waits for its pending trials
                best = max(candidates, key=lambda c: (_score(history, c), c == current))
                if _score(history, best) > _score(history, current):
                    current, changed = best, True
            if not changed:
                break
        return current

    def _pair_move(self, history: History, pending, current: dict[str, Any]):
        """A Proposal, None (no pair move improves: done, or waiting), or the improved config."""
        order = self.ctx.order
        pairs = sorted(itertools.combinations(range(len(order)), 2), key=lambda ij: (ij[1] - ij[0], ij))
        here = _score(history, current)
        for i, j in pairs:
            a, b = order[i], order[j]
            for va, vb in itertools.product(self.space.params[a].grid(), self.space.params[b].grid()):
                if va == current[a] or vb == current[b]:
                    continue
                config = {**current, a: va, b: vb}
                if is_pending(pending, config):
                    continue
                if not history.seen(config):
                    return Proposal(config, note=f"greedy pair move: {a} + {b}")
                elif _score(history, config) > here:
                    return config
        return None  # a local optimum under single and pair moves (or waiting for pending pair moves)


def _score(history: History, config) -> float:
    score = history.score(config)
    return float("-inf") if score is None else score
