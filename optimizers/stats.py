"""How much of a gain is real: a paired bootstrap interval of the per-item difference, and the verdicts a study
prints in words (`within noise`, `did not generalize`)."""

from __future__ import annotations

import random
from dataclasses import dataclass

RESAMPLES = 2000


def paired_bootstrap(a: list[float], b: list[float], *, resamples: int = RESAMPLES, seed: int = 0,
                     level: float = 0.95) -> tuple[float, float, float]:
    """(mean of b - a, low, high): the percentile interval of the mean per-item difference over resamples of
    the items (the pairs stay together). Identical scores give (0, 0, 0)."""
    if len(a) != len(b) or not a:
        raise ValueError("paired_bootstrap needs two equally long, non-empty lists")
    diffs = [y - x for x, y in zip(a, b, strict=True)]
    n = len(diffs)
    mean = sum(diffs) / n
    if all(d == diffs[0] for d in diffs):
        return mean, mean, mean
    rng = random.Random(seed)
    means = sorted(sum(diffs[rng.randrange(n)] for _ in range(n)) / n for _ in range(resamples))
    tail = (1 - level) / 2
    low = means[int(tail * resamples)]
    high = means[min(resamples - 1, int((1 - tail) * resamples))]
    return mean, low, high


@dataclass
class Comparison:
    """Default vs a config on one part of the data, for one objective (values as measured, not oriented)."""

    default: float | None
    value: float | None
    items: int = 0  # paired items behind the interval (0: no interval)
    low: float | None = None  # interval of value - default
    high: float | None = None
    note: str = ""  # why there is no interval

    @property
    def gain(self) -> float | None:
        if self.default is None or self.value is None:
            return None
        return self.value - self.default

    @property
    def relative(self) -> float | None:
        gain = self.gain
        if gain is None or not self.default:
            return None
        return gain / abs(self.default)

    def within_noise(self) -> bool | None:
        if self.low is None or self.high is None:
            return None
        return self.low <= 0 <= self.high

    def to_json(self) -> dict:
        return {"default": self.default, "value": self.value, "gain": self.gain, "relative_gain": self.relative,
                "interval": None if self.low is None else [self.low, self.high], "items": self.items,
                "within_noise": self.within_noise(), "note": self.note or None}


def oriented_gain(gain: float | None, direction: str) -> float | None:
    if gain is None:
        return None
    return gain if direction == "maximize" else -gain


def verdict(metric: str, direction: str, tuning: Comparison, validation: Comparison | None) -> str:
    """The study's conclusion about one objective, in words."""
    t = oriented_gain(tuning.gain, direction)
    if t is None:
        return f"{metric}: no default or best to compare"
    if validation is None:
        base = f"{metric}: {_pct(tuning)} over the default on the tuning part"
        if tuning.within_noise():
            base += ", within noise (the 95% interval includes 0)"
        return base + "; no validation part, so nothing says it generalizes"
    v = oriented_gain(validation.gain, direction)
    if t == 0:
        return f"{metric}: the best is no better than the default on the tuning part"
    if v is None:
        return f"{metric}: the validation runs did not produce it"
    if (v > 0) != (t > 0) or v == 0:
        return (f"{metric}: did not generalize: {_pct(tuning)} on the tuning part, {_pct(validation)} on the "
                f"validation part")
    if validation.within_noise():
        return (f"{metric}: {_pct(validation)} on the validation part ({_pct(tuning)} on tuning), within noise "
                f"(the 95% interval of the difference includes 0)")
    if validation.within_noise() is None:
        return f"{metric}: {_pct(validation)} on the validation part ({_pct(tuning)} on tuning); {validation.note}"
    return f"{metric}: the gain held on the validation part: {_pct(validation)} ({_pct(tuning)} on tuning)"


def _pct(c: Comparison) -> str:
    rel = c.relative
    if rel is not None:
        return f"{rel:+.1%}"
    gain = c.gain
    return "n/a" if gain is None else f"{gain:+.4g}"
