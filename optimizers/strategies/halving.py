"""Successive halving over the evaluation set size, and Hyperband's schedule of brackets.

`tune.halving` names the parameter that sets how many questions are evaluated (e.g. `questions`, the limit of
a load.dataset node) and its range: rung budgets are max, max/eta, max/eta^2, ... down to min. A bracket scores
eta^(rungs-1) fresh configs (or `configs`) on the smallest budget, promotes the best 1/eta to the next budget,
and so on until the full budget; then a new bracket starts with fresh configs (drawn without replacement in a
seeded random order). With `schedule: hyperband` the brackets cycle through Hyperband's starting rungs: the
bracket starting at rung s scores ceil(rungs / (rungs - s) * eta^(rungs-1-s)) fresh configs on that rung's budget,
so later brackets try fewer configs, each measured on more questions (robust when small evaluations are too
noisy to rank configs). Only full-budget trials compete for the study's best.
"""

from __future__ import annotations

import itertools
import math

from .base import History, Proposal, Strategy, is_pending
from .random_search import random_configs


def rung_budgets(minimum: int, maximum: int, eta: int) -> list[int]:
    budgets = [maximum]
    while True:
        nxt = max(minimum, round(budgets[-1] / eta))
        if nxt >= budgets[-1] or nxt < minimum:
            break
        budgets.append(nxt)
        if nxt == minimum:
            break
    return budgets[::-1]


def bracket_plan(rungs: int, eta: int, schedule: str) -> list[tuple[int, int]]:
    """(fresh configs, starting rung) of each bracket of one cycle."""
    if schedule != "hyperband":
        return [(eta ** (rungs - 1), 0)]
    return [(math.ceil(rungs / (rungs - start) * eta ** (rungs - 1 - start)), start) for start in range(rungs)]


class Halving(Strategy):
    name = "halving"
    uses_budget = True
    conformance = {"halving": {"param": "questions", "min": 1, "max": 9, "eta": 3}}

    def __init__(self, space, ctx):
        super().__init__(space, ctx)
        h = ctx.spec.halving
        if h is None:
            from pipec.compiler.errors import UsageError

            raise UsageError("strategy 'halving' needs a 'halving' entry in the tune section",
                             ) from None
        self.budgets = rung_budgets(h.min, h.max, h.eta)
        self.eta = h.eta
        self.first_rung = h.eta ** (len(self.budgets) - 1)
        self.plan = bracket_plan(len(self.budgets), h.eta, h.schedule)

    def ask(self, history: History, pending=()) -> Proposal | None:
        fresh = random_configs(self.space, self.ctx.seed)
        for bracket in itertools.count(1):
            size, start = self.plan[(bracket - 1) % len(self.plan)]
            configs = list(itertools.islice(fresh, size))
            if not configs:
                return None
            for rung in range(start, len(self.budgets)):
                budget = self.budgets[rung]
                for config in configs:
                    if not history.seen(config, budget) and not is_pending(pending, config, budget):
                        return Proposal(config, budget, note=f"bracket {bracket}, rung {rung + 1}: "
                                                             f"{budget} questions")
                if any(is_pending(pending, c, budget) for c in configs):
                    return None  # promotion waits for this rung's pending trials
                keep = max(1, math.ceil(len(configs) / self.eta))
                ranked = sorted(configs, key=lambda c: _score(history, c, budget), reverse=True)
                configs = ranked[:keep]
        return None


def _score(history: History, config, budget) -> float:
    score = history.score(config, budget)
    return float("-inf") if score is None else score
