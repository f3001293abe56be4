"""A tuning study read from the store: trials, the best one, best-so-far curve, score against a parameter,
and the diff of two trials. Pure functions over rows of the `trials` table (see compiler/store_schema.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import fmt
from .overview import objective


@dataclass
class Trial:
    number: int
    state: str
    value: float | None
    config: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    cost_usd: float | None = None
    duration_s: float | None = None
    run_id: str | None = None
    error: str | None = None
    budget: float | None = None
    llm_calls: int | None = None
    cache_hits: int | None = None


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """{"retrieve": {"top_k": 8}} -> {"retrieve.top_k": 8}; lists and scalars stay values."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1] or "value": value}


def trial_from_row(row: dict[str, Any]) -> Trial:
    config = fmt.loads(row.get("config_json"), {})
    metrics = fmt.loads(row.get("metrics_json"), {})
    if isinstance(metrics, dict) and any(isinstance(v, dict) for v in metrics.values()):
        metrics = fmt.flat_metrics(row.get("metrics_json"))
    return Trial(row["number"], row["state"], row.get("value"), flatten(config) if isinstance(config, dict) else
                 {"config": config}, metrics if isinstance(metrics, dict) else {}, row.get("cost_usd"),
                 row.get("duration_s"), row.get("run_id"), row.get("error"), row.get("budget"),
                 row.get("llm_calls"), row.get("cache_hits"))


@dataclass
class StudyView:
    """Everything the study screen shows, computed in a worker."""

    study: dict[str, Any]
    trials: list[Trial]
    metric: str
    maximize: bool
    best: Trial | None
    params: list[str]
    metric_names: list[str]


def study_view(study: dict[str, Any], rows: list[dict[str, Any]]) -> StudyView:
    trials = [trial_from_row(r) for r in rows]
    metric, maximize = objective(study.get("objective_json"))
    done = [t for t in trials if t.state == "complete" and t.value is not None]
    best = (max if maximize else min)(done, key=lambda t: t.value) if done else None
    params: dict[str, None] = {}
    metric_names: dict[str, None] = {}
    for t in trials:
        params.update(dict.fromkeys(t.config))
        metric_names.update(dict.fromkeys(t.metrics))
    return StudyView(study, trials, metric, maximize, best, list(params), list(metric_names))


def best_so_far(view: StudyView) -> tuple[list[int], list[float], list[float]]:
    """(trial numbers, their value, best value up to and including each) over complete trials."""
    numbers, values, best = [], [], []
    current: float | None = None
    for t in view.trials:
        if t.state != "complete" or t.value is None:
            continue
        if current is None or (t.value > current if view.maximize else t.value < current):
            current = t.value
        numbers.append(t.number)
        values.append(t.value)
        best.append(current)
    return numbers, values, best


def score_against(view: StudyView, param: str) -> tuple[list[Any], list[float], list[str] | None]:
    """(x, value) of complete trials for one parameter; categorical values map to positions with labels."""
    points = [(t.config.get(param), t.value) for t in view.trials
              if t.state == "complete" and t.value is not None and param in t.config]
    numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x, _ in points)
    if numeric:
        return [x for x, _ in points], [y for _, y in points], None
    labels = sorted({fmt.cell(x, 16) for x, _ in points})
    return [labels.index(fmt.cell(x, 16)) for x, _ in points], [y for _, y in points], labels


def diff(a: Trial, b: Trial) -> list[tuple[str, str, str, str, bool]]:
    """Rows (section, key, a, b, differs) over the union of both trials' config and metrics."""
    rows = []
    facts_a = {"value": a.value, "state": a.state, "cost": a.cost_usd, "time": a.duration_s}
    facts_b = {"value": b.value, "state": b.state, "cost": b.cost_usd, "time": b.duration_s}
    for section, left, right in (("trial", facts_a, facts_b), ("config", a.config, b.config),
                                 ("metrics", a.metrics, b.metrics)):
        for key in dict.fromkeys([*left, *right]):
            x, y = left.get(key), right.get(key)
            rows.append((section, key, fmt.cell(x, 40), fmt.cell(y, 40), x != y))
    return rows
