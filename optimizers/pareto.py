"""Several objectives: the non-dominated trials (the Pareto front) and the rule that picks one of them.

A point dominates another when it is at least as good on every objective and better on one. Identical points
do not dominate each other, so ties stay on the front together; a duplicate of a dominated point is dominated.
Pick rule (`tune.pick`): among the front points whose `metric` is within `max_loss` (relative) of the front's
best `metric`, the best on the other objectives in their order; without `metric`, the knee: the point closest
to the ideal after scaling each objective to [0, 1] over the front (ties: the first objective, then number).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Point = tuple[float, ...]  # oriented: higher is better on every objective


def dominates(a: Point, b: Point) -> bool:
    return all(x >= y for x, y in zip(a, b, strict=True)) and any(x > y for x, y in zip(a, b, strict=True))


def front(points: Sequence[Point]) -> list[int]:
    """Indices of the non-dominated points, in their order."""
    return [i for i, p in enumerate(points) if not any(dominates(q, p) for j, q in enumerate(points) if j != i)]


def knee(points: Sequence[Point]) -> int:
    """Index of the point closest to the ideal one after min-max scaling of each objective."""
    if not points:
        raise ValueError("no points")
    dims = len(points[0])
    lows = [min(p[d] for p in points) for d in range(dims)]
    highs = [max(p[d] for p in points) for d in range(dims)]

    def distance(p: Point) -> float:
        return math.sqrt(sum(((highs[d] - p[d]) / (highs[d] - lows[d])) ** 2 if highs[d] > lows[d] else 0.0
                             for d in range(dims)))

    return min(range(len(points)), key=lambda i: (distance(points[i]), -points[i][0], i))


def pick(points: Sequence[Point], values: Sequence[Sequence[float]], metric_index: int | None,
         max_loss: float) -> int:
    """Index (into points) of the chosen point. `values` are the measured (not oriented) values, for the
    relative loss; `metric_index` the objective of `tune.pick.metric`, None for the knee."""
    if metric_index is None:
        return knee(points)
    best = max(p[metric_index] for p in points)
    best_value = next(v[metric_index] for p, v in zip(points, values, strict=True) if p[metric_index] == best)
    allowed = abs(best_value) * max_loss
    near = [i for i, p in enumerate(points) if best - p[metric_index] <= allowed + 1e-12]
    others = [d for d in range(len(points[0])) if d != metric_index]
    return max(near, key=lambda i: (tuple(points[i][d] for d in others), points[i][metric_index], -i))


# --- trials ----------------------------------------------------------------------------------------------------

def trial_point(spec, trial) -> tuple[Point, list[float]] | None:
    """(oriented point, measured values) of a trial over every objective; None when one is missing."""
    from .objective import metric_value, oriented

    values = []
    for o in spec.all_objectives:
        try:
            values.append(metric_value(trial.metrics, trial.totals, o.metric))
        except KeyError:
            return None
    return tuple(oriented(v, o.direction) for v, o in zip(values, spec.all_objectives, strict=True)), values


def front_trials(spec, trials: list) -> list:
    """The non-dominated trials (complete, feasible ones with every objective), by number."""
    measured = [(t, trial_point(spec, t)) for t in sorted(trials, key=lambda t: t.number)
                if t.state == "complete" and t.score is not None]
    measured = [(t, m) for t, m in measured if m is not None]
    return [measured[i][0] for i in front([m[0] for _, m in measured])]


def picked(spec, trials: list):
    """The front trial tune.pick chooses (the knee without a pick rule); None without a front."""
    on_front = front_trials(spec, trials)
    if not on_front:
        return None
    measured = [trial_point(spec, t) for t in on_front]
    metrics = [o.metric for o in spec.all_objectives]
    rule = spec.pick
    index = None
    if rule is not None and rule.metric is not None:
        index = metrics.index(rule.metric) if rule.metric in metrics else None
    return on_front[pick([m[0] for m in measured], [m[1] for m in measured], index,
                         rule.max_loss if rule else 0.0)]
