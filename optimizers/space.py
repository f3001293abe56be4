"""The `tune` section of a pipeline YAML: objective, constraints and search space, checked at compile time.

    tune:
      objective: answer_metrics.f1        # NODE.METRIC (or NODE.PORT.METRIC) of a Metrics output
      direction: maximize                 # or minimize
      secondary: {metric: duration_s, direction: minimize}   # tie-break (any metric, or cost_usd, duration_s)
      constraints: [{metric: cost_usd, max: 0.05}]            # trials outside are infeasible (never best)
      strategy: greedy                    # default for `pipe tune` (--strategy overrides)
      trials: 20
      space:
        embedder: [minilm, hashing]                          # a list: categorical choices
        chunk_size: {low: 64, high: 512, step: 64}           # int range (ints) / float range (floats)
        temperature: {low: 0.0, high: 1.0, points: 5}        # float range; `points` for grid search
        lr: {low: 1.0e-4, high: 1.0e-1, log: true}           # log scale
        generate.prompt: {prompts: [prompts/a.j2, "Answer briefly: {{ item.question }}"]}
        retrieve.top_k: {values: [1, 3, 5, 10]}

A path is a pipeline parameter (`chunk_size`) or NODE.PARAM (`retrieve.top_k`), exactly as `--set` takes it.
Every candidate value is validated against the parameter model of each node it reaches.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pipec.compiler.compile import override_target
from pipec.compiler.errors import did_you_mean
from pydantic import BaseModel, ConfigDict, Field, ValidationError

MAX_GRID = 100_000  # default of tune.max_grid
SPECIAL_METRICS = ("cost_usd", "duration_s", "llm_calls", "cache_hits")
MODEL_WORDS = ("model", "embedder", "generator", "llm", "judge")
PARAM_KEYS = ("values", "prompts", "low", "high", "step", "log", "points", "type", "model")

Problem = tuple[str, tuple, str | None]  # (message, path inside `tune`, fix or None)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ObjectiveSpec(_Strict):
    metric: str
    direction: Literal["maximize", "minimize"] = "maximize"


class ConstraintSpec(_Strict):
    metric: str
    min: float | None = None
    max: float | None = None


class HalvingSpec(_Strict):
    param: str = Field(description="the path that sets how many questions are evaluated")
    min: int = Field(ge=1, description="smallest evaluation size")
    max: int = Field(ge=1, description="full evaluation size")
    eta: int = Field(3, ge=2, description="keep the best 1/eta at each rung")
    schedule: Literal["halving", "hyperband"] = Field(
        "halving", description="halving: every bracket starts at min; hyperband: brackets start at min, then at "
                               "each larger rung in turn (fewer, better-measured configs)")


class LLMProposerSpec(_Strict):
    model: str = Field(description="litellm model string of the proposer (fake/... in tests)")
    temperature: float = Field(0.7, ge=0)
    history: int = Field(30, ge=1, description="best trials shown to the model")
    failures: int = Field(3, ge=0, description="failed examples of the best trial shown for prompt params")
    max_tokens: int = Field(800, ge=16)


class ValidationSpec(_Strict):
    """Held-out evaluation data no trial sees (optimizers/validation.py)."""

    fraction: float | None = Field(None, gt=0, lt=1, description="share of the objective's dataset questions "
                                                                  "held out (default 0.3 unless `set` is given)")
    seed: int = Field(0, description="seed of the split")
    by: str | None = Field(None, description="stratify the split by this question field (e.g. type)")
    node: str | None = Field(None, description="the dataset node to split, when the objective reaches several")
    set: dict[str, Any] | None = Field(None, description="overrides (as --set takes them) that point the graph at "
                                                         "other data for validation")


class PickSpec(_Strict):
    """Which point of a Pareto front `--out` writes: the best of the other objectives among the points within
    `max_loss` (relative) of the front's best `metric`; without `metric`, the knee."""

    metric: str | None = None
    max_loss: float = Field(0.02, ge=0)


class TuneSpec(_Strict):
    objective: str | ObjectiveSpec | None = None
    objectives: list[ObjectiveSpec] | None = Field(None, min_length=1, description="several objectives: a Pareto "
                                                                                    "front (the first one leads)")
    validation: ValidationSpec | None = None
    pick: PickSpec | None = None
    max_consecutive_failures: int = Field(3, ge=1, description="stop after N trials in a row fail with the same "
                                                                "error")
    direction: Literal["maximize", "minimize"] = "maximize"
    secondary: ObjectiveSpec | None = None
    constraints: list[ConstraintSpec] = Field(default_factory=list)
    space: dict[str, Any]
    strategy: str = "random"
    trials: int = Field(20, ge=1)
    seed: int = 0
    order: Literal["models_first", "pipeline"] | list[str] = "models_first"
    grid_points: int = Field(5, ge=2, description="points of a float range (or a wide int range) in a grid")
    max_grid: int = Field(MAX_GRID, ge=1, description="most points a grid search may have (greedy and bandit: "
                                                      "most grid values of one parameter)")
    halving: HalvingSpec | None = None
    llm: LLMProposerSpec | None = None
    # options of strategy: optuna / bandit, checked by each strategy's own Options model (strategies/)
    optuna: dict[str, Any] | None = None
    bandit: dict[str, Any] | None = None

    @property
    def main(self) -> ObjectiveSpec:
        if self.objective is None:
            return self.objectives[0] if self.objectives else ObjectiveSpec(metric="")
        if isinstance(self.objective, ObjectiveSpec):
            return self.objective
        return ObjectiveSpec(metric=self.objective, direction=self.direction)

    @property
    def all_objectives(self) -> list[ObjectiveSpec]:
        """Every objective: `objectives`, else the single `objective`."""
        return list(self.objectives) if self.objectives else [self.main]


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
        return None, [(f"space '{path}': expected a list of choices or a mapping, got {raw!r}", where,
                       "e.g. [64, 128] or {low: 1, high: 10}")]
    problems: list[Problem] = []
    for key in raw:
        if key not in PARAM_KEYS:
            problems.append((f"space '{path}': unknown key '{key}'", where + (key,),
                             did_you_mean(str(key), PARAM_KEYS) or f"known keys: {', '.join(PARAM_KEYS)}"))
    is_model = bool(raw.get("model", False))
    points = raw.get("points", grid_points)
    if not isinstance(points, int) or isinstance(points, bool) or points < 2:
        problems.append((f"space '{path}': points must be an integer >= 2", where + ("points",), None))
        points = grid_points
    if "values" in raw or "prompts" in raw:
        kind = "prompt" if "prompts" in raw else "choice"
        values = raw.get("prompts" if kind == "prompt" else "values")
        if not isinstance(values, list) or not values:
            problems.append((f"space '{path}': an empty list of {kind}s", where + (kind + "s" if kind == "prompt"
                             else "values",), "give at least one value"))
            return None, problems
        if kind == "prompt" and not all(isinstance(v, str) and v.strip() for v in values):
            problems.append((f"space '{path}': prompts must be non-empty texts or template files",
                             where + ("prompts",), None))
        unique = []
        for v in values:
            if not any(_same(v, u) for u in unique):
                unique.append(v)
        return Param(path, kind, unique, points=points, is_model=is_model), problems
    if "low" not in raw or "high" not in raw:
        return None, problems + [(f"space '{path}': a range needs both 'low' and 'high'", where,
                                  "e.g. {low: 1, high: 10}; or a list of values")]
    low, high, step = raw["low"], raw["high"], raw.get("step")
    nums = [v for v in (low, high, step) if v is not None]
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in nums):
        return None, problems + [(f"space '{path}': low, high and step must be numbers", where, None)]
    kind = raw.get("type") or ("int" if all(isinstance(v, int) for v in nums) else "float")
    if kind not in ("int", "float"):
        return None, problems + [(f"space '{path}': type must be int or float, got {kind!r}", where + ("type",),
                                  None)]
    log = bool(raw.get("log", False))
    if low > high:
        problems.append((f"space '{path}': empty range (low {low} > high {high})", where, "swap low and high"))
    if log and low <= 0:
        problems.append((f"space '{path}': a log range needs low > 0 (got {low})", where + ("low",), None))
    if step is not None and step <= 0:
        problems.append((f"space '{path}': step must be > 0", where + ("step",), None))
    if kind == "int" and not all(float(v).is_integer() for v in nums):
        problems.append((f"space '{path}': an int range needs integer low, high and step", where, None))
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
        return None, None, [("the tune section must be a mapping with 'objective' and 'space'", (), None)]
    problems: list[Problem] = []
    try:
        spec = TuneSpec.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            if err["type"] == "extra_forbidden":
                problems.append((f"unknown key '{'.'.join(map(str, loc))}' in the tune section", loc,
                                 did_you_mean(str(loc[-1]), TuneSpec.model_fields)))
            elif err["type"] == "missing":
                problems.append((f"the tune section needs '{'.'.join(map(str, loc))}'", loc[:-1], None))
            elif loc and loc[0] == "objective":
                problems.append(("objective: give 'NODE.METRIC' or {metric: NODE.METRIC, direction: ...}",
                                 ("objective",), None))
            else:
                problems.append((f"tune.{'.'.join(map(str, loc))}: {err['msg']} (got {err.get('input')!r})",
                                 loc, None))
        return None, None, problems
    if not spec.space:
        return spec, None, [("the space is empty", ("space",), "add at least one parameter")]
    params = {}
    for path, raw_param in spec.space.items():
        param, found = parse_param(str(path), raw_param, spec.grid_points)
        problems += found
        if param is not None:
            params[str(path)] = param
    return spec, Space(params), problems


# --- compile-time check (called by compiler/compile.py) --------------------------------------------------------

def check_tune_section(graph: Any) -> list[Problem]:
    spec, space, problems = parse_spec(graph.spec.tune)
    if spec is None:
        return problems
    if spec.objective is None and not spec.objectives:
        return problems + [("the tune section needs 'objective' (or 'objectives')", (), None)]
    if spec.objective is not None and spec.objectives:
        problems.append(("give 'objective' or 'objectives', not both", ("objectives",), None))
    for i, o in enumerate(spec.objectives or []):
        problems += _check_metric(graph, o.metric, ("objectives", i, "metric"))
    if spec.objective is not None:
        problems += _check_metric(graph, spec.main.metric, ("objective",))
    metrics = [o.metric for o in spec.all_objectives]
    if spec.pick is not None and spec.pick.metric is not None and spec.pick.metric not in metrics:
        problems.append((f"pick: '{spec.pick.metric}' is not one of the objectives", ("pick", "metric"),
                         did_you_mean(spec.pick.metric, metrics) or f"objectives: {', '.join(metrics)}"))
    if spec.secondary:
        problems += _check_metric(graph, spec.secondary.metric, ("secondary", "metric"))
    for i, c in enumerate(spec.constraints):
        problems += _check_metric(graph, c.metric, ("constraints", i, "metric"))
        if c.min is None and c.max is None:
            problems.append(("a constraint needs 'min' or 'max'", ("constraints", i), None))
    if spec.halving:
        h = spec.halving
        if h.min > h.max:
            problems.append((f"halving: min {h.min} > max {h.max}", ("halving",), None))
        problems += [(m, ("halving", "param"), f) for m, _, f in _check_values(graph, h.param, [h.min, h.max])]
        if space and h.param in space.params:
            problems.append((f"halving: '{h.param}' is also in the space", ("halving", "param"),
                             "the evaluation size is set by halving; remove it from the space"))
    from .strategies import STRATEGIES

    if spec.strategy not in STRATEGIES:
        problems.append((f"unknown strategy '{spec.strategy}'", ("strategy",),
                         did_you_mean(spec.strategy, STRATEGIES) or f"strategies: {', '.join(STRATEGIES)}"))
    else:
        problems += [(m, ("strategy",), None) for m in STRATEGIES[spec.strategy].check(spec)]
    if space is None:
        return problems
    if isinstance(spec.order, list):
        for i, name in enumerate(spec.order):
            if name not in space.params:
                problems.append((f"order: '{name}' is not in the space", ("order", i),
                                 did_you_mean(name, space.params)))
    problems += [(m, ("strategy",), f) for m, f in grid_problems(space, spec.strategy, spec.max_grid)]
    for param in space:
        values = param.values if param.categorical else _checked_points(param)
        shorthand = isinstance(spec.space[param.path], list)
        for message, sub, fix in _check_values(graph, param.path, values, prompt=param.kind == "prompt"):
            if shorthand and sub[:1] == ("values",):
                sub = sub[1:]  # `[a, b]` is short for `{values: [a, b]}`
            problems.append((message, ("space", param.path) + sub, fix))
    return problems


def _check_metric(graph: Any, metric: str, where: tuple) -> list[Problem]:
    if metric in SPECIAL_METRICS:
        return []
    node, _, rest = metric.partition(".")
    if node not in graph.nodes:
        return [(f"objective metric '{metric}': no node '{node}'", where,
                 did_you_mean(node, graph.nodes) or f"use NODE.METRIC, or one of {', '.join(SPECIAL_METRICS)}")]
    ports = [p for p, o in graph.nodes[node].op_cls.outputs.items() if o.type == "Metrics"]
    if not ports:
        return [(f"metric '{metric}': node '{node}' (op {graph.nodes[node].op_name}) has no Metrics output",
                 where, "name a node whose op outputs Metrics (e.g. an eval.* node)")]
    if not rest:
        return [(f"metric '{metric}': name the metric too (e.g. '{node}.f1')", where, None)]
    return []


def node_targets(graph: Any, path: str) -> tuple[list[tuple[str, list[str]]], str | None]:
    """Which (node, param path inside its params) a tuning path reaches, or an error text."""
    target = override_target(graph.config, path.split("."))
    if isinstance(target, str):
        return [], target
    if target[0] == "params":
        name = target[1]
        if len(target) > 2:
            value = (graph.config.get("params") or {}).get(name)
            if value is not None and not isinstance(value, dict):
                return [], f"pipeline parameter '{name}' is a single value ({value!r:.40}), not a mapping"
            return [], None
        ref = "${" + name + "}"
        found = [(n, [k]) for n, spec in graph.spec.nodes.items() for k, v in spec.params.items()
                 if isinstance(v, str) and v.strip() == ref]
        return found, None
    node, sub = target[1], target[3:]
    fields = graph.nodes[node].op_cls.Params.model_fields
    if sub[0] not in fields:
        op = graph.nodes[node].op_name
        return [], (f"node '{node}' (op {op}) has no parameter '{sub[0]}'"
                    + (f"; {hint}" if (hint := did_you_mean(sub[0], fields)) else
                       f" (parameters: {', '.join(fields) or 'none'})"))
    below = _below_a_scalar(graph.nodes[node].params, sub)
    if below:
        return [], f"parameter '{below}' of node '{node}' is a single value, not a mapping with keys below it"
    return [(node, sub)], None


def _below_a_scalar(params: Any, sub: list[str]) -> str | None:
    """The first parameter along `sub` that holds a plain value yet has more path below it, or None."""
    value: Any = params.model_dump() if params is not None else {}
    for i, part in enumerate(sub[:-1]):
        value = value.get(part) if isinstance(value, dict) else None
        if value is not None and not isinstance(value, dict):
            return ".".join(sub[:i + 1])
    return None


def _checked_points(param: Param, most: int = 50) -> list[Any]:
    """The values of a range checked against the node's parameters at compile time: its ends, and its grid
    when that is small (a huge grid is never built to be checked)."""
    ends = {param.snap(param.low), param.snap(param.high)}
    return sorted(ends | set(param.grid())) if param.grid_count() <= most else sorted(ends)


GRID_STRATEGIES = ("grid",)
PER_PARAMETER_GRID = ("greedy", "bandit")


def grid_problems(space: Space, strategy: str, limit: int = MAX_GRID) -> list[tuple[str, str]]:
    """(message, fix) when `strategy` would enumerate more grid values than `limit`; counted, never built."""
    fix = "use --strategy random (or optuna, bandit), fewer points or a coarser step; or raise tune.max_grid"
    if strategy in GRID_STRATEGIES:
        size = space.grid_size()
        if size > limit:
            return [(f"the grid has {size:,} points, more than the limit of {limit:,}", fix)]
    if strategy in PER_PARAMETER_GRID:
        for p in space:
            if p.grid_count() > limit:
                return [(f"strategy {strategy} tries every grid value of '{p.path}': {p.grid_count():,}, more "
                         f"than the limit of {limit:,}", fix)]
    return []


def _check_values(graph: Any, path: str, values: list[Any], prompt: bool = False) -> list[Problem]:
    targets, error = node_targets(graph, path)
    if error:
        return [(f"unknown tuning path '{path}': {error}", (), None)]
    problems: list[Problem] = []
    for node, sub in targets:
        compiled = graph.nodes[node]
        base = compiled.params.model_dump()
        for i, value in enumerate(values):
            data = _with(base, sub, value)
            try:
                params = compiled.op_cls.Params.model_validate(data)
            except ValidationError as exc:
                msg = exc.errors()[0]["msg"]
                problems.append((f"'{path}' = {value!r} is not valid for node '{node}' (op {compiled.op_name}) "
                                 f"parameter '{'.'.join(sub)}': {msg}", ("values", i) if prompt is False else (),
                                 None))
                continue
            if prompt:
                try:
                    found = compiled.op_cls(params).validate(graph.base_dir)
                except Exception as exc:  # a buggy check must not hide the others
                    found = [(None, str(exc), None)]
                problems += [(f"prompt candidate {i + 1} for '{path}' (node '{node}'): {m}", ("prompts", i), f)
                             for _, m, f in found]
    return problems


def _with(data: dict, sub: list[str], value: Any) -> dict:
    out = dict(data)
    if len(sub) == 1:
        out[sub[0]] = value
    else:
        out[sub[0]] = _with(dict(out.get(sub[0]) or {}), sub[1:], value)
    return out


def current_value(graph: Any, path: str) -> Any:
    """The value a path has in the compiled graph (its config), or None."""
    target = override_target(graph.config, path.split("."))
    if isinstance(target, str):
        return None
    value: Any = graph.config
    for part in target:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def is_model_param(graph: Any, param: Param) -> bool:
    if param.is_model:
        return True
    names = [param.parts[-1]]
    targets, _ = node_targets(graph, param.path)
    names += [sub[-1] for _, sub in targets]
    return any(word in name.lower() for name in names for word in MODEL_WORDS if name)


def pipeline_position(graph: Any, param: Param) -> int:
    targets, _ = node_targets(graph, param.path)
    declared = list(graph.nodes)  # the order the file lists its nodes: the pipeline order as its author wrote it
    positions = [declared.index(n) for n, _ in targets if n in declared]
    return min(positions) if positions else len(declared)
