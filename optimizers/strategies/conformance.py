"""The conformance checks every strategy passes, built-in or plugin (tests/strategies runs them for each one
registered; a plugin's own tests can call `check_all(MyStrategy)`).

The strategy is driven through ask/tell against a synthetic objective with a known optimum (x=0.3, y=4,
kind=b; a budget, i.e. a smaller evaluation, adds deterministic noise), without a graph or a store:

- determinism: the same seed gives the same proposals;
- every proposal lies in the space, and no (config, budget) is proposed twice;
- resume: a new instance given the history of an interrupted study continues with the same proposals;
- a proposal already pending (parallel trials) is not proposed again;
- a finite space is exhausted (ask returns None) within a bound, and a space of one value works.

A strategy's own tune-section entries (its options) come from its `conformance` class attribute.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from typing import Any

from ..space import parse_spec
from .base import History, Proposal, StrategyContext, TrialView, config_hash

SPACE = {
    "x": {"low": 0.0, "high": 0.6, "points": 4},
    "y": {"low": 0, "high": 8, "step": 2},
    "kind": ["a", "b", "c"],
}
SMALL_SPACE = {"kind": ["a", "b"], "y": [1, 2]}
ONE_VALUE = {"kind": ["b"]}
BONUS = {"a": 0.0, "b": 0.1, "c": -0.1}


def objective(config: dict[str, Any], budget: float | None) -> float:
    x, y = float(config.get("x", 0.3)), float(config.get("y", 4))
    score = 1.0 - (x - 0.3) ** 2 - ((y - 4) / 10) ** 2 + BONUS.get(config.get("kind", "b"), 0.0)
    if budget is not None:
        seed = hashlib.sha256(json.dumps([config, budget], sort_keys=True, default=str).encode()).hexdigest()
        score += random.Random(seed).gauss(0, 0.05) / math.sqrt(budget)
    return score


def scripted_llm(space):
    """complete(model, prompt, ...) -> a JSON config drawn from the space, seeded by the prompt (no model)."""

    def complete(model: str, prompt: str, *, item: str = "", temperature=None, max_tokens=None) -> str:
        rng = random.Random(hashlib.sha256(prompt.encode()).hexdigest())
        return json.dumps({p.path: p.sample(rng) for p in space})

    return complete


def make(cls, space_raw: dict[str, Any], seed: int = 0, extra: dict[str, Any] | None = None):
    tune = {"objective": "objective.score", "space": space_raw, "strategy": cls.name, **cls.conformance,
            **(extra or {})}
    spec, space, problems = parse_spec(tune)
    assert spec is not None and space is not None and not problems, problems
    defaults = {p.path: p.grid()[0] for p in space}
    ctx = StrategyContext(spec, seed, defaults, list(space.params), complete=scripted_llm(space),
                          check_value=lambda path, value: [])
    return cls(space, ctx), space


def drive(strategy, n: int, history: History | None = None) -> tuple[list[Proposal], History, bool]:
    """Ask/tell until n trials are in the history or the strategy is done: (proposals, history, done)."""
    history = history or History([])
    proposals: list[Proposal] = []
    while len(history) < n:
        proposal = strategy.ask(history)
        if proposal is None:
            return proposals, history, True
        proposals.append(proposal)
        score = objective(proposal.config, proposal.budget)
        trial = TrialView(len(history) + 1, dict(proposal.config), proposal.budget, "complete", score, score,
                          metrics={"objective": {"score": score}}, note=proposal.note,
                          totals={"cost_usd": 0.0, "duration_s": 0.0, "llm_calls": 0.0, "cache_hits": 0.0})
        history.add(trial)
        strategy.tell(trial)
    return proposals, history, False


def keys(proposals: list[Proposal]) -> list[str]:
    return [config_hash(p.config, p.budget) for p in proposals]


# --- the checks (each raises AssertionError with what went wrong) ----------------------------------------------

def check_deterministic(cls, extra=None, n: int = 14) -> None:
    a, _, _ = drive(make(cls, SPACE, 7, extra)[0], n)
    b, _, _ = drive(make(cls, SPACE, 7, extra)[0], n)
    assert keys(a) == keys(b), f"{cls.name}: two runs with seed 7 proposed different sequences"


def check_in_space_no_repeats(cls, extra=None, n: int = 20) -> None:
    strategy, space = make(cls, SPACE, 1, extra)
    proposals, _, _ = drive(strategy, n)
    for p in proposals:
        assert not space.validate_config(p.config), f"{cls.name}: {p.config} {space.validate_config(p.config)}"
    k = keys(proposals)
    assert len(k) == len(set(k)), f"{cls.name}: a (config, budget) was proposed twice"


def check_resume(cls, extra=None, n: int = 14, cut: int = 5) -> None:
    straight, _, _ = drive(make(cls, SPACE, 3, extra)[0], n)
    first, history, _ = drive(make(cls, SPACE, 3, extra)[0], cut)
    rest, _, _ = drive(make(cls, SPACE, 3, extra)[0], n, history)  # a new process: only the history is left
    assert keys(first + rest) == keys(straight), f"{cls.name}: the resumed study proposed another sequence"


def check_pending(cls, extra=None) -> None:
    strategy, _ = make(cls, SPACE, 2, extra)
    _, history, _ = drive(strategy, 3)
    first = strategy.ask(history)
    assert first is not None
    second = strategy.ask(history, pending=[first])
    assert second is None or config_hash(second.config, second.budget) != config_hash(first.config, first.budget), \
        f"{cls.name}: proposed a pending trial again"


def check_exhausts(cls, extra=None, bound: int = 400) -> None:
    strategy, space = make(cls, SMALL_SPACE, 0, extra)
    proposals, _, done = drive(strategy, bound)
    assert done, f"{cls.name}: still proposing after {bound} trials of a 4-config space"
    k = keys(proposals)
    assert len(k) == len(set(k)), f"{cls.name}: repeated a (config, budget) in a small space"


def check_one_value(cls, extra=None, bound: int = 100) -> None:
    strategy, _ = make(cls, ONE_VALUE, 0, extra)
    proposals, _, done = drive(strategy, bound)
    assert done and proposals, f"{cls.name}: a one-value space gave {len(proposals)} proposals, done={done}"
    assert all(p.config == {"kind": "b"} for p in proposals)


CHECKS = [check_deterministic, check_in_space_no_repeats, check_resume, check_pending, check_exhausts,
          check_one_value]


def check_all(cls, extra: dict[str, Any] | None = None) -> None:
    for check in CHECKS:
        check(cls, extra)
