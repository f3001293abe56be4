"""Reading a trial's objective, secondary objective and constraints from its run.

A metric is addressed `NODE.METRIC` (the node's `metrics` port), `NODE.PORT.METRIC` (another Metrics port), or
one of the trial's own totals: `cost_usd`, `duration_s`, `llm_calls`, `cache_hits`. `NODE.metrics.METRIC`
is accepted too.
"""

from __future__ import annotations

from typing import Any

from .tune_spec import SPECIAL_METRICS, TuneSpec


def metric_value(metrics: dict[str, dict[str, float]], totals: dict[str, float], address: str) -> float:
    """The value of a metric address; KeyError (with the available names) when the run did not produce it."""
    if address in SPECIAL_METRICS:
        return float(totals[address])
    for key in sorted(metrics, key=len, reverse=True):
        if address.startswith(key + "."):
            name = address[len(key) + 1:]
            if name.startswith("metrics.") and name[8:] in metrics[key] and "." not in key:
                return float(metrics[key][name[8:]])
            if name in metrics[key]:
                return float(metrics[key][name])
    available = [f"{k}.{n}" for k, values in metrics.items() for n in values]
    raise KeyError(f"the run produced no metric '{address}'"
                   + (f" (available: {', '.join(available[:12])})" if available else " (no metrics at all)"))


def oriented(value: float, direction: str) -> float:
    return value if direction == "maximize" else -value


def evaluate(spec: TuneSpec, metrics: dict[str, dict[str, float]], totals: dict[str, float]
             ) -> tuple[float, float | None, list[str]]:
    """(objective value, oriented score or None when a constraint is violated, violated constraints)."""
    value = metric_value(metrics, totals, spec.main.metric)
    violated = []
    for c in spec.constraints:
        v = metric_value(metrics, totals, c.metric)
        if (c.min is not None and v < c.min) or (c.max is not None and v > c.max):
            violated.append(f"{c.metric}={v:.4g} {bounds(c.min, c.max)}")
    return value, (None if violated else oriented(value, spec.main.direction)), violated


def bounds(low: float | None, high: float | None) -> str:
    """'not >= 0.5', 'not <= 0.05' or 'outside [0.1, 0.9]' (no None shown for an open side)."""
    if low is None:
        return f"not <= {high:g}"
    if high is None:
        return f"not >= {low:g}"
    return f"outside [{low:g}, {high:g}]"


def tie_break(spec: TuneSpec, metrics: dict[str, Any], totals: dict[str, float]) -> float:
    if spec.secondary is None:
        return 0.0
    try:
        return oriented(metric_value(metrics, totals, spec.secondary.metric), spec.secondary.direction)
    except KeyError:
        return float("-inf")
