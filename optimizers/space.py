"""The search space of a `tune` section: `Param` (one dimension: choices, prompts, an int or float range),
`Space`, and `parse_spec` (the section as a TuneSpec and a Space, or the Problems found). The section's models
are in tune_spec.py; the checks against a compiled graph in tune_check.py."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pipec.compiler.errors import Problem, did_you_mean
from pydantic import ValidationError

from .tune_spec import MAX_GRID, TuneSpec

PARAM_KEYS = ("values", "prompts", "low", "high", "step", "log", "points", "type", "model")


def tune_problem(message: str, path: tuple = (), fix: str | None = None) -> Problem:
    """A problem of the tune section; `path` is the keys inside `tune` (the command locates it in the YAML)."""
    return Problem(message, fix=fix, path=tuple(path))


# --- parameters ------------------------------------------------------------------------------------------------

@dataclass
class Param:
    """One dimension of the space."""

    path: str
    kind: Literal["choice", "prompt", "int", "float"]
    values: list[Any] = field(default_factory=list)
    low: float = 0
    high: float = 0
    step: float | None = None
    log: bool = False
    points: int = 5
    is_model: bool = False

    @property
    def parts(self) -> list[str]:
        return self.path.split(".")

    @property
    def categorical(self) -> bool:
        return self.kind in ("choice", "prompt")

    def grid_count(self) -> int:
        """How many values grid() has (at most: a wide int range may snap two points together); never
        materialises anything, so a range of 10^12 values or 10^8 points is counted at once."""
        if self.categorical:
            return len(self.values)
        full = self._int_count()
        if full is not None and full <= max(self.points, 10):
            return full
        return self.points

    def _int_count(self) -> int | None:
        if self.kind != "int" or self.high < self.low:
            return None
        return (int(self.high) - int(self.low)) // int(self.step or 1) + 1

    def grid(self) -> list[Any]:
        """The values a grid (and greedy) search tries, in order. Callers check grid_count() first: a grid of
        more than MAX_GRID values is refused (see grid_problems), never built."""
        if self.categorical:
            return list(self.values)
        full = self._int_count()
        if full is not None and full <= max(self.points, 10):
            return list(range(int(self.low), int(self.high) + 1, int(self.step or 1)))
        n = self.points
        if self.kind == "float" and n > LAZY_POINTS:
            return _FloatGrid(self.low, self.high, n, self.log)
        if self.log:
            a, b = math.log(self.low), math.log(self.high)
            raw = [math.exp(a + (b - a) * i / (n - 1)) for i in range(n)]
        else:
            raw = [self.low + (self.high - self.low) * i / (n - 1) for i in range(n)]
        if self.kind == "float":
            return [float(f"{v:.6g}") for v in raw]
        return sorted({self.snap(round(v)) for v in raw})

    def snap(self, value: float) -> Any:
        if self.kind == "int":
            v = int(round(min(max(value, self.low), self.high)))
            if self.step:
                n = int(round((v - self.low) / self.step))
                n = min(n, int((self.high - self.low) // self.step))
                v = int(self.low) + n * int(self.step)
            return v
        return float(min(max(value, self.low), self.high))

    def sample(self, rng: random.Random) -> Any:
        if self.categorical:
            return rng.choice(self.values)
        if self.log:
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        elif self.kind == "int":
            value = rng.uniform(self.low - 0.5, self.high + 0.5)
        else:
            value = rng.uniform(self.low, self.high)
        return self.snap(value)

    def contains(self, value: Any) -> bool:
        if self.kind == "choice":
            return any(_same(value, v) for v in self.values)
        if self.kind == "prompt":
            return isinstance(value, str) and bool(value.strip())
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if self.kind == "int" and (not float(value).is_integer() or value != self.snap(value)):
            return False
        return self.low <= value <= self.high

    def repair(self, value: Any) -> tuple[Any, str | None]:
        """(a valid value, what was repaired or None). Raises ValueError when nothing sensible is close."""
        if self.contains(value):
            return (int(value) if self.kind == "int" else value), None
        if self.kind == "choice":
            for v in self.values:
                if str(v).strip().lower() == str(value).strip().lower():
                    return v, f"{self.path}: {value!r} -> {v!r}"
            raise ValueError(f"{self.path}: {value!r} is not one of {self.values}")
        if self.kind == "prompt":
            raise ValueError(f"{self.path}: a prompt must be a non-empty text")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{self.path}: {value!r} is not a number") from None
        if math.isnan(number):
            raise ValueError(f"{self.path}: NaN")
        fixed = self.snap(number)
        return fixed, f"{self.path}: {value!r} -> {fixed!r}"

    def to_json(self) -> dict[str, Any]:
        if self.categorical:
            return {"kind": self.kind, "values": self.values, "model": self.is_model}
        return {"kind": self.kind, "low": self.low, "high": self.high, "step": self.step, "log": self.log,
                "points": self.points, "model": self.is_model}


LAZY_POINTS = 10_000  # a float grid with more points is computed point by point, never listed


class _FloatGrid(Sequence):
    """The points of a float grid, computed on access (`points: 100000000` costs nothing until iterated)."""

    def __init__(self, low: float, high: float, n: int, log: bool):
        self.low, self.high, self.n, self.log = low, high, n, log

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self.n))]
        if i < 0:
            i += self.n
        if not 0 <= i < self.n:
            raise IndexError(i)
        if self.log:
            a, b = math.log(self.low), math.log(self.high)
            value = math.exp(a + (b - a) * i / (self.n - 1))
        else:
            value = self.low + (self.high - self.low) * i / (self.n - 1)
        return float(f"{value:.6g}")


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b or (isinstance(a, (int, float)) and isinstance(b, (int, float))
                                             and not isinstance(a, bool) and not isinstance(b, bool) and a == b)


def parse_param(path: str, raw: Any, grid_points: int) -> tuple[Param | None, list[Problem]]:
    where = ("space", path)
    if isinstance(raw, list):
        raw = {"values": raw}
    if not isinstance(raw, dict):
        return None, [tune_problem(f"space '{path}': expected a list of choices or a mapping, got {raw!r}", where,
                       "e.g. [64, 128] or {low: 1, high: 10}")]
    problems: list[Problem] = []
    for key in raw:
        if key not in PARAM_KEYS:
            problems.append(tune_problem(f"space '{path}': unknown key '{key}'", where + (key,),
                             did_you_mean(str(key), PARAM_KEYS) or f"known keys: {', '.join(PARAM_KEYS)}"))
    is_model = bool(raw.get("model", False))
    points = raw.get("points", grid_points)
    if not isinstance(points, int) or isinstance(points, bool) or points < 2:
        problems.append(tune_problem(f"space '{path}': points must be an integer >= 2", where + ("points",), None))
        points = grid_points
    if "values" in raw or "prompts" in raw:
        kind = "prompt" if "prompts" in raw else "choice"
        values = raw.get("prompts" if kind == "prompt" else "values")
        if not isinstance(values, list) or not values:
            problems.append(tune_problem(f"space '{path}': an empty list of {kind}s", where + (kind + "s" if kind == "prompt"
                             else "values",), "give at least one value"))
            return None, problems
        if kind == "prompt" and not all(isinstance(v, str) and v.strip() for v in values):
            problems.append(tune_problem(f"space '{path}': prompts must be non-empty texts or template files",
                             where + ("prompts",), None))
        unique = []
        for v in values:
            if not any(_same(v, u) for u in unique):
                unique.append(v)
        return Param(path, kind, unique, points=points, is_model=is_model), problems
    if "low" not in raw or "high" not in raw:
        return None, problems + [tune_problem(f"space '{path}': a range needs both 'low' and 'high'", where,
                                  "e.g. {low: 1, high: 10}; or a list of values")]
    low, high, step = raw["low"], raw["high"], raw.get("step")
    nums = [v for v in (low, high, step) if v is not None]
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in nums):
        return None, problems + [tune_problem(f"space '{path}': low, high and step must be numbers", where, None)]
    kind = raw.get("type") or ("int" if all(isinstance(v, int) for v in nums) else "float")
    if kind not in ("int", "float"):
        return None, problems + [tune_problem(f"space '{path}': type must be int or float, got {kind!r}", where + ("type",),
                                  None)]
    log = bool(raw.get("log", False))
    if low > high:
        problems.append(tune_problem(f"space '{path}': empty range (low {low} > high {high})", where, "swap low and high"))
    if log and low <= 0:
        problems.append(tune_problem(f"space '{path}': a log range needs low > 0 (got {low})", where + ("low",), None))
    if step is not None and step <= 0:
        problems.append(tune_problem(f"space '{path}': step must be > 0", where + ("step",), None))
    if kind == "int" and not all(float(v).is_integer() for v in nums):
        problems.append(tune_problem(f"space '{path}': an int range needs integer low, high and step", where, None))
    param = Param(path, kind, low=low, high=high, step=step, log=log, points=points, is_model=is_model)
    return (None if problems else param), problems


# --- the space -------------------------------------------------------------------------------------------------

@dataclass
class Space:
    params: dict[str, Param]

    def __iter__(self):
        return iter(self.params.values())

    def grid_size(self) -> int:
        return math.prod(p.grid_count() for p in self)

    def validate_config(self, config: dict[str, Any]) -> list[str]:
        problems = [f"unknown parameter '{k}'" for k in config if k not in self.params]
        problems += [f"missing parameter '{k}'" for k in self.params if k not in config]
        problems += [f"{k}: {config[k]!r} is outside the space" for k, p in self.params.items()
                     if k in config and not p.contains(config[k])]
        return problems

    def to_json(self) -> dict[str, Any]:
        return {k: p.to_json() for k, p in self.params.items()}


def parse_spec(raw: Any) -> tuple[TuneSpec | None, Space | None, list[Problem]]:
    """The tune section as a TuneSpec and a Space, or the problems found."""
    if not isinstance(raw, dict):
        return None, None, [tune_problem("the tune section must be a mapping with 'objective' and 'space'", (), None)]
    problems: list[Problem] = []
    try:
        spec = TuneSpec.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            if err["type"] == "extra_forbidden":
                problems.append(tune_problem(f"unknown key '{'.'.join(map(str, loc))}' in the tune section", loc,
                                 did_you_mean(str(loc[-1]), TuneSpec.model_fields)))
            elif err["type"] == "missing":
                problems.append(tune_problem(f"the tune section needs '{'.'.join(map(str, loc))}'", loc[:-1], None))
            elif loc and loc[0] == "objective":
                problems.append(tune_problem("objective: give 'NODE.METRIC' or {metric: NODE.METRIC, direction: "
                                             "...}", ("objective",)))
            else:
                problems.append(tune_problem(f"tune.{'.'.join(map(str, loc))}: {err['msg']} "
                                             f"(got {err.get('input')!r})", loc))
        return None, None, problems
    if not spec.space:
        return spec, None, [tune_problem("the space is empty", ("space",), "add at least one parameter")]
    params = {}
    for path, raw_param in spec.space.items():
        param, found = parse_param(str(path), raw_param, spec.grid_points)
        problems += found
        if param is not None:
            params[str(path)] = param
    return spec, Space(params), problems


GRID_STRATEGIES = ("grid",)
PER_PARAMETER_GRID = ("greedy", "bandit")


def grid_problems(space: Space, strategy: str, limit: int = MAX_GRID) -> list[Problem]:
    """A problem (at `tune.strategy`) when `strategy` would enumerate more grid values than `limit`; the values
    are counted, never built."""
    fix = "use --strategy random (or optuna, bandit), fewer points or a coarser step; or raise tune.max_grid"
    if strategy in GRID_STRATEGIES:
        size = space.grid_size()
        if size > limit:
            return [tune_problem(f"the grid has {size:,} points, more than the limit of {limit:,}", ("strategy",),
                                 fix)]
    if strategy in PER_PARAMETER_GRID:
        for p in space:
            if p.grid_count() > limit:
                return [tune_problem(f"strategy {strategy} tries every grid value of '{p.path}': "
                                     f"{p.grid_count():,}, more than the limit of {limit:,}", ("strategy",), fix)]
    return []
