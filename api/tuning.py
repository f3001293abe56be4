"""`pipec.tune(path, ...) -> Study`: a tuning study as `pipe tune` runs it (see docs/tune.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import wrapped
from .graph import overrides_of, store_for


@dataclass
class Study:
    """A finished (or stopped) study: its trials, the best trial, the Pareto front (several objectives)."""

    name: str
    study_id: str
    strategy: str
    status: str
    stop_reason: str
    trials: list[Any]  # TrialView: number, state, config, value, metrics, run_id, ...
    best: Any  # the TrialView `pipe tune --out` writes, or None when no trial completed
    front: list[Any]  # non-dominated trials (with one objective: the best one)
    totals: dict[str, float]
    outcome: Any  # the tuner's StudyOutcome

    @property
    def validation(self) -> dict[str, Any] | None:
        """Default vs best per objective, with intervals and verdicts (and the held-out part's runs)."""
        return self.outcome.validation

    def to_json(self) -> dict[str, Any]:
        """What `pipe tune --json` prints."""
        from pipec.optimizers.command import study_json

        return study_json(self.outcome, self.best)


@wrapped
def tune(path: str | Path, *, strategy: str | None = None, trials: int | None = None, store: Any = ".pipe",
         set: Mapping[str, Any] | None = None, study: str | None = None, seed: int | None = None,  # noqa: A002
         timeout_s: float | None = None, max_usd: float | None = None, max_calls: int | None = None) -> Study:
    """Search the parameters of the graph's `tune` section; a `study` name that exists resumes it."""
    from pipec.compiler.errors import UsageError
    from pipec.optimizers.study import Budgets, Tuner, best_trial, run_study

    if not Path(path).is_file():
        raise UsageError(f"no such file: {path}")
    with store_for(store) as opened:
        if opened is None:
            raise UsageError("a study needs a store (its trials are stored runs)")
        tuner = Tuner(path, opened, strategy=strategy, study=study, seed=seed, overrides=overrides_of(set))
        tuner.budgets = Budgets(trials=trials or tuner.spec.trials, timeout_s=timeout_s, max_usd=max_usd,
                                max_calls=max_calls)
        outcome = run_study(tuner)  # with the validation (outcome.validation)
    done = outcome.history.trials
    best = best_trial(outcome, done)
    return Study(outcome.name, outcome.study_id, outcome.strategy, outcome.status, outcome.stop_reason, done,
                 best, _front(outcome, done, best), outcome.totals, outcome)


def _front(outcome: Any, trials: list[Any], best: Any) -> list[Any]:
    if len(getattr(outcome.spec, "all_objectives", [])) > 1:
        from pipec.optimizers.pareto import front_trials

        return front_trials(outcome.spec, trials)
    return [best] if best is not None else []
