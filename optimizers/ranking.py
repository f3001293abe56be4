"""Which trials count: the full-size ones, the best (single objective, or the Pareto pick), the top n, and a
trial's value of any metric."""

from __future__ import annotations

from typing import Any

from .objective import metric_value, tie_break
from .strategies import TrialView
from .tune_spec import TuneSpec


def full_size(spec: TuneSpec, trials: list[TrialView]) -> list[TrialView]:
    """The feasible complete trials measured on the whole tuning part: with halving, the full rung (or no
    budget, like the baseline); otherwise the largest evaluation budget."""
    done = [t for t in trials if t.state == "complete" and t.score is not None]
    if spec.halving is not None:
        return [t for t in done if t.budget is None or t.budget >= spec.halving.max]
    top_budget = max((t.budget for t in done if t.budget is not None), default=None)
    return [t for t in done if t.budget == top_budget] if top_budget is not None else done


def best_trial(outcome_or_spec: Any, trials: list[TrialView]) -> TrialView | None:
    """The best feasible complete full-size trial, ties broken by the secondary objective; with several
    objectives, the point of the Pareto front that tune.pick chooses (optimizers/pareto.py)."""
    if getattr(outcome_or_spec, "recommended", None) is not None:
        return outcome_or_spec.recommended
    spec = outcome_or_spec.spec if hasattr(outcome_or_spec, "spec") else outcome_or_spec
    done = full_size(spec, trials)
    if not done:
        return None
    if len(spec.all_objectives) > 1:
        from .pareto import picked

        return picked(spec, done)
    return max(done, key=lambda t: (t.score, tie_break(spec, t.metrics, t.totals)))


def top_trials(spec: TuneSpec, trials: list[TrialView], n: int) -> list[TrialView]:
    """The n best full-size trials by the (first) objective."""
    done = full_size(spec, trials)
    return sorted(done, key=lambda t: (-t.score, -tie_break(spec, t.metrics, t.totals), t.number))[:n]


def value_of(trial: TrialView | None, metric: str) -> float | None:
    if trial is None or trial.state != "complete":
        return None
    try:
        return metric_value(trial.metrics, trial.totals, metric)
    except KeyError:
        return None
