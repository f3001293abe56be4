"""The ask/tell interface every search strategy implements, and the history it reads.

A strategy is one class:

    class MyStrategy(Strategy):
        name = "mine"
        def ask(self, history: History) -> Proposal | None:   # the next config to try; None: nothing left
            ...
        def tell(self, trial: TrialView) -> None:               # optional: a trial finished
            ...

`ask` receives the whole history of the study (every finished trial, also those of an earlier process when a
study resumes), so a strategy that derives its state from the history resumes exactly where it stopped.
Scores are oriented: higher is better for every study (a minimized objective is negated); a failed or
infeasible trial has score None.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pipec.compiler.fingerprint import hash_value

from ..space import Space, TuneSpec


def config_hash(config: dict[str, Any], budget: float | None = None) -> str:
    return hash_value({"config": config, "budget": budget})[:16]


@dataclass
class Proposal:
    config: dict[str, Any]
    budget: int | None = None  # evaluation size (successive halving); None: the graph's own
    note: str = ""  # why this config (shown in the table, stored in trials.note)


@dataclass
class TrialView:
    number: int
    config: dict[str, Any]
    budget: float | None
    state: str  # complete | failed
    score: float | None  # oriented (higher is better); None when failed or infeasible
    value: float | None = None  # the objective as measured
    run_id: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    totals: dict[str, float] = field(default_factory=dict)  # cost_usd, duration_s, llm_calls, cache_hits
    note: str = ""  # why the strategy proposed it


class History:
    def __init__(self, trials: list[TrialView]):
        self.trials = list(trials)
        self._by_key = {config_hash(t.config, t.budget): t for t in self.trials}

    def __len__(self) -> int:
        return len(self.trials)

    def add(self, trial: TrialView) -> None:
        self.trials.append(trial)
        self._by_key[config_hash(trial.config, trial.budget)] = trial

    def get(self, config: dict[str, Any], budget: float | None = None) -> TrialView | None:
        return self._by_key.get(config_hash(config, budget))

    def seen(self, config: dict[str, Any], budget: float | None = None) -> bool:
        return config_hash(config, budget) in self._by_key

    def score(self, config: dict[str, Any], budget: float | None = None) -> float | None:
        t = self.get(config, budget)
        return None if t is None else t.score

    def best(self, budget: float | None = None) -> TrialView | None:
        done = [t for t in self.trials if t.score is not None and t.budget == budget]
        return max(done, key=lambda t: t.score) if done else None


@dataclass
class StrategyContext:
    """What a strategy may use besides the space: the spec, a seed, the graph (defaults, order), the LLM."""

    spec: TuneSpec
    seed: int
    defaults: dict[str, Any]  # the graph's own value of every parameter (in the space or repaired into it)
    order: list[str]  # parameter order for coordinate descent
    proposer: Any = None  # callable(prompt) -> text for the llm strategy
    failures: Any = None  # callable(trial) -> list of failed examples (llm strategy, prompt params)
    check_value: Any = None  # callable(path, value) -> list of problems (compile-time checks of a value)
    notes: list[dict[str, Any]] = field(default_factory=list)  # rejected/repaired proposals to record


class Strategy:
    name: ClassVar[str] = ""
    uses_budget: ClassVar[bool] = False

    def __init__(self, space: Space, ctx: StrategyContext):
        self.space = space
        self.ctx = ctx
        self.rng = random.Random(ctx.seed)

    def ask(self, history: History) -> Proposal | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def tell(self, trial: TrialView) -> None:
        return None
