"""The ask/tell interface every search strategy implements, and the history it reads.

A strategy is one class, registered through the `pipec.strategies` entry-point group (registry.py):

    class MyStrategy(Strategy):
        name = "mine"
        def ask(self, history: History, pending=()) -> Proposal | None:  # the next config; None: nothing left
            ...
        def tell(self, trial: TrialView) -> None:                          # optional: a trial finished
            ...

`ask` receives the whole history of the study (every finished trial, also those of an earlier process when a
study resumes), so a strategy that derives its state from the history resumes exactly where it stopped.
`pending` holds the proposals asked for but not yet finished (parallel trials): a strategy must not propose
one of them again; a sequential study passes none.
Scores are oriented: higher is better for every study (a minimized objective is negated); a failed or
infeasible trial has score None. Everything else a strategy may use (the spec, a seed, the graph's defaults,
an LLM through the gateway, compile-time checks of a value) is in its StrategyContext. docs/strategies.md.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pipec.compiler.fingerprint import hash_value
from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:  # tune_check.py looks strategies up (check_tune_section): no import back at run time
    from ..space import Space
    from ..tune_spec import TuneSpec


def config_hash(config: dict[str, Any], budget: float | None = None) -> str:
    return hash_value({"config": config, "budget": budget})[:16]


@dataclass
class Proposal:
    config: dict[str, Any]
    budget: int | None = None  # evaluation size (halving) or minibatch number (bandit); None: the graph's own
    note: str = ""  # why this config (shown in the table, stored in trials.note)
    overrides: dict[str, Any] = field(default_factory=dict)  # extra paths set for this trial only (not the
    # config: e.g. the bandit's minibatch slice); applied after the config


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
    """What a strategy may use besides the space (the same for every strategy; the loop names none).

    - spec: the tune section (a strategy's own options are `spec.<its options_key>`, checked by `Options`);
    - seed; defaults: the graph's own value of every parameter; order: the coordinate order (greedy);
    - complete(model, prompt, *, item, temperature, max_tokens) -> text: one LLM call through the gateway,
      recorded (and cached) under the node `tune:<study>`, counted in the study's LLM budget; None when the
      study runs without a store (conformance tests pass a scripted one);
    - proposer: a ready prompt -> text callable (tests); failures(trial): its worst examples;
    - check_value(path, value): compile-time problems of a value (prompt templates);
    - notes: proposals a strategy rejected or repaired, recorded with the study.
    """

    spec: TuneSpec
    seed: int
    defaults: dict[str, Any]  # the graph's own value of every parameter (in the space or repaired into it)
    order: list[str]  # parameter order for coordinate descent
    proposer: Any = None  # callable(prompt) -> text (tests; the llm strategy builds one from `complete`)
    failures: Any = None  # callable(trial) -> list of failed examples (llm strategy, prompt params)
    check_value: Any = None  # callable(path, value) -> list of problems (compile-time checks of a value)
    notes: list[dict[str, Any]] = field(default_factory=list)  # rejected/repaired proposals to record
    complete: Any = None  # callable(model, prompt, *, item, temperature, max_tokens) -> text (the gateway)


class Strategy:
    name: ClassVar[str] = ""
    uses_budget: ClassVar[bool] = False
    # the strategy's own options: `tune.<options_key>` in YAML, validated by the pydantic model `Options`
    options_key: ClassVar[str | None] = None
    Options: ClassVar[type[BaseModel] | None] = None
    # tune-section entries the conformance suite (tests/strategies) adds for this strategy, e.g. its options
    conformance: ClassVar[dict[str, Any]] = {}

    def __init__(self, space: Space, ctx: StrategyContext):
        self.space = space
        self.ctx = ctx
        self.rng = random.Random(ctx.seed)
        self.options = self.parse_options(ctx.spec)

    @classmethod
    def parse_options(cls, spec: TuneSpec) -> BaseModel | None:
        if cls.Options is None or cls.options_key is None:
            return None
        try:
            return cls.Options.model_validate(getattr(spec, cls.options_key, None) or {})
        except ValidationError as exc:
            from pipec.compiler.errors import UsageError

            raise UsageError(f"tune.{cls.options_key}: " + "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors())) from None

    @classmethod
    def check(cls, spec: TuneSpec) -> list[str]:
        """Compile-time problems of the strategy's options (`pipe validate` shows them)."""
        try:
            cls.parse_options(spec)
        except Exception as exc:  # a UsageError with the message
            return [str(exc)]
        return []

    def ask(self, history: History, pending: Sequence[Proposal] = ()) -> Proposal | None:  # pragma: no cover
        raise NotImplementedError

    def tell(self, trial: TrialView) -> None:
        return None

    def best(self, history: History) -> TrialView | None:
        """The trial whose config the strategy recommends; None: the study's usual best (optimizers/study.py)."""
        return None


def is_pending(pending: Sequence[Proposal], config: dict[str, Any], budget: float | None = None) -> bool:
    key = config_hash(config, budget)
    return any(config_hash(p.config, p.budget) == key for p in pending)
