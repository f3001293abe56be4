"""The `tune` section checked against its compiled graph (by `pipe validate` and `pipe tune`, after compiling):
metrics name Metrics outputs, every tuning path reaches a node parameter and every candidate value is valid for
it. Also what the study asks of a graph about a path: its current value, the nodes it reaches."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pipec.compiler.compile import as_problem, override_target
from pipec.compiler.errors import Problem, did_you_mean
from pydantic import ValidationError

from .space import Param, grid_problems, parse_spec, tune_problem
from .tune_spec import SPECIAL_METRICS

MODEL_WORDS = ("model", "embedder", "generator", "llm", "judge")


def check_tune_section(graph: Any) -> list[Problem]:
    spec, space, problems = parse_spec(graph.spec.tune)
    if spec is None:
        return problems
    if spec.objective is None and not spec.objectives:
        return problems + [tune_problem("the tune section needs 'objective' (or 'objectives')", (), None)]
    if spec.objective is not None and spec.objectives:
        problems.append(tune_problem("give 'objective' or 'objectives', not both", ("objectives",), None))
    for i, o in enumerate(spec.objectives or []):
        problems += _check_metric(graph, o.metric, ("objectives", i, "metric"))
    if spec.objective is not None:
        problems += _check_metric(graph, spec.main.metric, ("objective",))
    metrics = [o.metric for o in spec.all_objectives]
    if spec.pick is not None and spec.pick.metric is not None and spec.pick.metric not in metrics:
        problems.append(tune_problem(f"pick: '{spec.pick.metric}' is not one of the objectives", ("pick", "metric"),
                         did_you_mean(spec.pick.metric, metrics) or f"objectives: {', '.join(metrics)}"))
    if spec.secondary:
        problems += _check_metric(graph, spec.secondary.metric, ("secondary", "metric"))
    for i, c in enumerate(spec.constraints):
        problems += _check_metric(graph, c.metric, ("constraints", i, "metric"))
        if c.min is None and c.max is None:
            problems.append(tune_problem("a constraint needs 'min' or 'max'", ("constraints", i), None))
    if spec.halving:
        h = spec.halving
        if h.min > h.max:
            problems.append(tune_problem(f"halving: min {h.min} > max {h.max}", ("halving",), None))
        problems += [replace(p, path=("halving", "param")) for p in check_values(graph, h.param, [h.min, h.max])]
        if space and h.param in space.params:
            problems.append(tune_problem(f"halving: '{h.param}' is also in the space", ("halving", "param"),
                             "the evaluation size is set by halving; remove it from the space"))
    from .strategies import STRATEGIES

    if spec.strategy not in STRATEGIES:
        problems.append(tune_problem(f"unknown strategy '{spec.strategy}'", ("strategy",),
                         did_you_mean(spec.strategy, STRATEGIES) or f"strategies: {', '.join(STRATEGIES)}"))
    else:
        problems += [tune_problem(m, ("strategy",)) for m in STRATEGIES[spec.strategy].check(spec)]
    if space is None:
        return problems
    if isinstance(spec.order, list):
        for i, name in enumerate(spec.order):
            if name not in space.params:
                problems.append(tune_problem(f"order: '{name}' is not in the space", ("order", i),
                                 did_you_mean(name, space.params)))
    problems += grid_problems(space, spec.strategy, spec.max_grid)
    for param in space:
        values = param.values if param.categorical else _checked_points(param)
        shorthand = isinstance(spec.space[param.path], list)
        for problem in check_values(graph, param.path, values, prompt=param.kind == "prompt"):
            sub = problem.path
            if shorthand and sub[:1] == ("values",):
                sub = sub[1:]  # `[a, b]` is short for `{values: [a, b]}`
            problems.append(replace(problem, path=("space", param.path) + sub))
    return problems


def _check_metric(graph: Any, metric: str, where: tuple) -> list[Problem]:
    if metric in SPECIAL_METRICS:
        return []
    node, _, rest = metric.partition(".")
    if node not in graph.nodes:
        return [tune_problem(f"objective metric '{metric}': no node '{node}'", where,
                 did_you_mean(node, graph.nodes) or f"use NODE.METRIC, or one of {', '.join(SPECIAL_METRICS)}")]
    ports = [p for p, o in graph.nodes[node].op_cls.outputs.items() if o.type == "Metrics"]
    if not ports:
        return [tune_problem(f"metric '{metric}': node '{node}' (op {graph.nodes[node].op_name}) has no Metrics output",
                 where, "name a node whose op outputs Metrics (e.g. an eval.* node)")]
    if not rest:
        return [tune_problem(f"metric '{metric}': name the metric too (e.g. '{node}.f1')", where, None)]
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


def check_values(graph: Any, path: str, values: list[Any], prompt: bool = False) -> list[Problem]:
    targets, error = node_targets(graph, path)
    if error:
        return [tune_problem(f"unknown tuning path '{path}': {error}", (), None)]
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
                problems.append(tune_problem(f"'{path}' = {value!r} is not valid for node '{node}' (op "
                                             f"{compiled.op_name}) parameter '{'.'.join(sub)}': {msg}",
                                             ("values", i) if prompt is False else ()))
                continue
            if prompt:
                try:
                    found = compiled.op_cls(params).validate(graph.base_dir)
                except Exception as exc:  # a buggy check must not hide the others
                    found = [Problem(str(exc))]
                problems += [tune_problem(f"prompt candidate {i + 1} for '{path}' (node '{node}'): {p.message}",
                                          ("prompts", i), p.fix) for p in map(as_problem, found)]
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
