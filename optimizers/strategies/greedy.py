"""Greedy coordinate descent: tune one parameter at a time, the others fixed at the best values so far.

Starts from the graph's own values. For each parameter in order, every grid value is tried and the best kept
(ties keep the current value); after a full pass without improvement the search has converged. The default
order is models first (generator and embedding models, then the rest in pipeline order), which the RAG
hyperparameter study found better than the plain pipeline order (`order: pipeline`); a list of paths gives
an explicit order. Everything is derived from the history, so a resumed study continues exactly.
"""

from __future__ import annotations

from .base import History, Proposal, Strategy, is_pending

MAX_PASSES = 10


class Greedy(Strategy):
    name = "greedy"

    def ask(self, history: History, pending=()) -> Proposal | None:
        current = dict(self.ctx.defaults)
        for pass_number in range(1, MAX_PASSES + 1):
            changed = False
            for path in self.ctx.order:
                candidates = [{**current, path: v} for v in self.space.params[path].grid()]
                if current not in candidates:
                    candidates.insert(0, dict(current))
                for config in candidates:
                    if not history.seen(config) and not is_pending(pending, config):
                        return Proposal(config, note=f"greedy pass {pass_number}: {path}")
                if any(is_pending(pending, c) for c in candidates):
                    return None  # this coordinate's decision waits for its pending trials
                best = current
                best_score = _score(history, current)
                for config in candidates:
                    score = _score(history, config)
                    if score > best_score:
                        best, best_score = config, score
                if best != current:
                    current, changed = best, True
            if not changed:
                return None
        return None


def _score(history: History, config) -> float:
    score = history.score(config)
    return float("-inf") if score is None else score
