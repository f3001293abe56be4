"""Compile a pipeline YAML into a validated, typed DAG, reporting every error at once.

Checks, in order, collecting diagnostics rather than stopping at the first: YAML syntax and duplicate keys;
the file's structure; `--set` overrides; `${...}` references; unknown ops (did-you-mean); each node's
parameters against its op's pydantic model; input references (node, port, type, required, fan-in); outputs;
and cycles. The `tune` section is checked after compiling, by `pipe validate` and `pipe tune`
(compiler/commands/common.py `check_tune`): the compiler never imports the optimizers.
"""

from __future__ import annotations

import copy
import functools
import gc
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .dag import Dag
from .errors import CompileError, Diagnostic, Location, PipeError, Problem, did_you_mean
from .graph import CompiledGraph, CompiledNode, InputRef
from .inputs import INPUTS_NODE, add_inputs_node, as_node_ref, check_inputs_used, default_outputs
from .interpolate import InterpolationError, Resolver, parse_override, redact, resolve_params
from .op import Op, path_fields, resolve_param_path
from .port_types import is_compatible
from .read_paths import prompt_path_problems
from .registry import Registry, default_registry
from .spec import NodeSpec, PipelineSpec
from .template_safety import template_problems
from .yaml_source import YamlSource, load_yaml_file, parse_yaml_text

NODE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
Override = str | tuple[list[str], Any]


class _Collector:
    """Collects diagnostics, locating them in the YAML source."""

    def __init__(self, src: YamlSource):
        self.src = src
        self.items: list[Diagnostic] = list(src.duplicates)

    def add(self, message: str, path: Iterable[Any] = (), node: str | None = None, fix: str | None = None,
            key: bool = False, location: Location | None = None) -> None:
        path = tuple(path)
        loc = location or (self.src.key_loc(*path) if key else self.src.loc(*path))
        self.items.append(Diagnostic(message, loc, node, fix))

    def pydantic(self, exc: ValidationError, prefix: tuple, node: str | None, fields: Iterable[str] = (),
                 what: str = "parameter") -> None:
        for err in exc.errors():
            loc = tuple(err["loc"])
            path = prefix + loc
            name = ".".join(str(p) for p in loc) or what
            kind = err["type"]
            if kind == "extra_forbidden":
                hint = did_you_mean(str(loc[-1]), fields) or (
                    f"known {what}s: {', '.join(sorted(fields))}" if fields else f"this op takes no {what}s"
                )
                self.add(f"unknown {what} '{name}'", path, node, hint, key=True)
            elif kind == "missing":
                self.add(f"missing required {what} '{name}'", prefix, node, f"add '{loc[-1]}: ...'", key=True)
            else:
                got = err.get("input")
                shown = repr(got) if not isinstance(got, (dict, list)) or len(repr(got)) < 60 else type(got).__name__
                self.add(f"{what} '{name}': {err['msg']} (got {shown})", path, node)

    def raise_if_any(self) -> None:
        if self.items:
            raise CompileError(self.items)


def _collector_paused(fn):
    """Run `fn` with the cyclic garbage collector paused. Compiling allocates many long-lived objects (location
    maps, parameter models, the DAG) and few cycles; with the collector on, each full collection walks the whole
    growing heap, which made compile time per node grow with the graph's size (bench/executor). Reference
    counting still frees everything acyclic; the collector resumes (and runs as usual) right after."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return wrapper


@_collector_paused
def compile_file(path: str | Path, overrides: Iterable[Override] = (), registry: Registry | None = None,
                 env: dict[str, str] | None = None) -> CompiledGraph:
    src = load_yaml_file(path)
    return compile_source(src, Path(path).resolve().parent, overrides, registry, env)


@_collector_paused
def compile_text(text: str, file: str = "<text>", base_dir: str | Path = ".", overrides: Iterable[Override] = (),
                 registry: Registry | None = None, env: dict[str, str] | None = None) -> CompiledGraph:
    return compile_source(parse_yaml_text(text, file), Path(base_dir).resolve(), overrides, registry, env)


@_collector_paused
def compile_source(src: YamlSource, base_dir: Path, overrides: Iterable[Override] = (),
                   registry: Registry | None = None, env: dict[str, str] | None = None) -> CompiledGraph:
    registry = registry or default_registry()
    out = _Collector(src)
    if src.data is None:
        out.add("the file is empty (or only comments)", (), location=Location(src.file, 1, 1),
                fix="a pipeline needs a 'nodes:' section; see examples/quickstart.yaml")
        out.raise_if_any()
    if not isinstance(src.data, dict):
        out.add(f"a pipeline file must be a mapping with a 'nodes' section, not {_kind(src.data)}", (),
                fix="start with 'nodes:'; see examples/quickstart.yaml")
        out.raise_if_any()
    data = copy.deepcopy(src.data)
    for i, item in enumerate(overrides):
        _apply_override(data, item, out, i)

    spec = _check_structure(data, out)
    resolver, param_errors = resolve_params(spec.params if spec else data.get("params") or {}, env)
    for name, exc in param_errors:
        out.add(str(exc), ("params", name), fix=exc.fix)
    if spec is None:
        out.raise_if_any()

    nodes: dict[str, CompiledNode] = {}
    declared = add_inputs_node(spec, nodes, out)
    for name, node_spec in spec.nodes.items():
        compiled = _compile_node(name, node_spec, resolver, base_dir, registry, out)
        if compiled is not None:
            nodes[name] = compiled
    allow_paths = getattr(spec.settings, "allow_paths", [])
    for name, field, message, fix in (prompt_path_problems(nodes, base_dir, allow_paths)
                                      + template_problems(nodes, base_dir, allow_paths)):
        out.add(message, ("nodes", name, "params", field), name, fix)
    _bind_inputs(spec, nodes, out)
    outputs = _check_outputs(spec, nodes, out)
    check_inputs_used(spec, declared, out)
    dag = _build_dag(nodes, out)
    out.raise_if_any()
    outputs = outputs or default_outputs(nodes, dag, declared)

    display_params = redact(resolver.params, resolver.secrets)
    config = copy.deepcopy(data)
    config["params"] = display_params
    for name, node in nodes.items():
        if name in config["nodes"]:
            config["nodes"][name]["params"] = node.display_params
    graph = CompiledGraph(
        file=src.file, base_dir=base_dir, spec=spec, nodes=nodes, dag=dag, order=dag.topological_order(),
        outputs=outputs, params=display_params, config=config, secrets=dict(resolver.secrets),
        request_inputs=declared,
    )
    return graph


def _kind(value: Any) -> str:
    return "a list" if isinstance(value, list) else f"a single value ({value!r:.40})"


# --- overrides ----------------------------------------------------------------------------------------------

def override_target(data: dict, path: list[str]) -> list[Any] | str:
    """Where a dotted override path points inside the raw config: `x` -> params.x when `x` is a pipeline
    parameter, `node.param[.sub]` -> nodes.node.params.param. Returns the full path, or an error text."""
    params = data.get("params") or {}
    nodes = data.get("nodes") or {}
    head = path[0]
    if head in params or (head == "params" and len(path) > 1):
        return ["params"] + (path[1:] if head == "params" and head not in params else path)
    if head in nodes and len(path) > 1:
        return ["nodes", head, "params"] + path[1:]
    choices = list(params) + [f"{n}.<param>" for n in nodes]
    hint = did_you_mean(head, list(params) + list(nodes))
    return (f"'{'.'.join(path)}' is neither a pipeline parameter nor NODE.PARAM"
            + (f"; {hint}" if hint else f" (parameters: {', '.join(params) or 'none'}; nodes: {', '.join(nodes)})"
               if choices else ""))


def set_path(data: dict, full_path: list[Any], value: Any) -> None:
    target = data
    for part in full_path[:-1]:
        nxt = target.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            target[part] = nxt
        target = nxt
    target[full_path[-1]] = value


def _apply_override(data: dict, item: Override, out: _Collector, index: int) -> None:
    where = Location("--set", 1, index + 1)
    try:
        path, value = parse_override(item) if isinstance(item, str) else (list(item[0]), item[1])
    except ValueError as exc:
        out.add(str(exc), location=where)
        return
    target = override_target(data, path)
    if isinstance(target, str):
        out.add(target, location=where)
        return
    set_path(data, target, value)


# --- structure -----------------------------------------------------------------------------------------------

def _check_structure(data: dict, out: _Collector) -> PipelineSpec | None:
    raw_nodes = data.get("nodes")
    top = {k: v for k, v in data.items() if k != "nodes"}
    ok = True
    try:
        PipelineSpec.model_validate({**top, "nodes": {}})
    except ValidationError as exc:
        out.pydantic(exc, (), None, PipelineSpec.model_fields, what="key")
        ok = False
    if raw_nodes is None:
        out.add("the pipeline has no 'nodes' section", (), fix="add 'nodes:' with at least one node")
        return None
    if not isinstance(raw_nodes, dict) or not raw_nodes:
        out.add("'nodes' must be a non-empty mapping of node name -> node", ("nodes",))
        return None
    nodes: dict[str, NodeSpec] = {}
    for name, raw in raw_nodes.items():
        if not isinstance(name, str) or not NODE_NAME.match(name):
            out.add(f"invalid node name '{name}'", ("nodes", name), fix="use letters, digits, '_' or '-'", key=True)
            ok = False
            continue
        if not isinstance(raw, dict):
            out.add("a node must be a mapping with an 'op'", ("nodes", name), name, "e.g. {op: core.value}")
            ok = False
            continue
        try:
            nodes[name] = NodeSpec.model_validate(raw)
        except ValidationError as exc:
            out.pydantic(exc, ("nodes", name), name, NodeSpec.model_fields, what="key")
            ok = False
    if not ok:
        # Keep checking the nodes that are well-formed so the user sees their errors too.
        return PipelineSpec.model_construct(**{**_safe_top(top), "nodes": nodes})
    return PipelineSpec.model_validate({**top, "nodes": nodes})


def _safe_top(top: dict) -> dict:
    safe = {}
    for key in ("pipeline", "description", "params", "outputs"):
        value = top.get(key)
        if isinstance(value, (str, dict)):
            safe[key] = value
    safe.setdefault("params", {})
    safe.setdefault("outputs", {})
    if not isinstance(safe["params"], dict):
        safe["params"] = {}
    safe["tune"] = None
    return safe


# --- nodes ---------------------------------------------------------------------------------------------------

def _compile_node(name: str, spec: NodeSpec, resolver: Resolver, base_dir: Path, registry: Registry,
                  out: _Collector) -> CompiledNode | None:
    if spec.op not in registry:
        hint = did_you_mean(spec.op, registry.names()) or "run 'pipe ops' to list the registered ops"
        out.add(f"unknown op '{spec.op}'", ("nodes", name, "op"), name, hint)
        return None
    try:
        op_cls = registry.get(spec.op)
    except PipeError as exc:
        out.add(str(exc), ("nodes", name, "op"), name)
        return None
    raw_params: dict[str, Any] = {}
    unresolved: set[str] = set()
    for key, value in spec.params.items():
        try:
            raw_params[key] = resolver.resolve(value)
        except InterpolationError as exc:
            out.add(str(exc), ("nodes", name, "params", key), name, exc.fix)
            unresolved.add(key)
    params = None
    try:
        params = op_cls.Params.model_validate(raw_params)
    except ValidationError as exc:
        # A parameter whose reference did not resolve is reported once, not again as 'missing'.
        errors = [e for e in exc.errors() if not (e["type"] == "missing" and e["loc"][0] in unresolved)]
        if errors:
            out.pydantic(ValidationError.from_exception_data(exc.title, errors), ("nodes", name, "params"), name,
                         op_cls.Params.model_fields)
    if params is not None:
        for field in path_fields(op_cls.Params):
            value = getattr(params, field)
            if value and not resolve_param_path(base_dir, value).exists():
                out.add(f"parameter '{field}': path '{value}' does not exist (relative to {base_dir} or the "
                        "current directory)",
                        ("nodes", name, "params", field), name, missing_path_fix(spec.params.get(field), name, field))
        try:
            problems = [as_problem(p) for p in op_cls(params).validate(base_dir)]
        except Exception as exc:  # a buggy check must not hide the other errors
            problems = [Problem(f"op {spec.op} could not check its parameters: {exc}")]
        for problem in problems:
            path = ("nodes", name, "params", *problem.path) if problem.path else ("nodes", name)
            out.add(problem.message, path, name, problem.fix)
    display = redact(params.model_dump(mode="json"), resolver.secrets) if params is not None else {}
    # A node with invalid params is still returned (params=None) so its inputs and edges are checked too.
    return CompiledNode(name=name, op_name=spec.op, op_cls=op_cls, params=params, display_params=display,
                        inputs={}, cache=spec.cache and op_cls.cacheable, location=out.src.key_loc("nodes", name))


def as_problem(item: Problem | tuple) -> Problem:
    """An `Op.validate` result as a Problem (the older (parameter, message, fix) tuples are still accepted)."""
    if isinstance(item, Problem):
        return item
    field, message, fix = item
    return Problem(message, fix=fix, path=(field,) if field else ())


def _parse_ref(text: Any, nodes: dict[str, CompiledNode], all_names: Iterable[str], path: tuple, owner: str,
               out: _Collector) -> InputRef | None:
    text = as_node_ref(text)
    if not isinstance(text, str) or not text:
        out.add(f"an input reference must be 'node' or 'node.port', got {text!r}", path, owner)
        return None
    node_name, _, port = text.partition(".")
    if node_name not in nodes and node_name not in all_names:  # `nodes` first: O(1), not a list scan
        hint = did_you_mean(node_name, [n for n in all_names if n != owner]) or "it must name another node"
        out.add(f"input refers to unknown node '{node_name}'", path, owner, hint)
        return None
    source = nodes.get(node_name)
    if source is None:  # the source node itself failed to compile; its error is already reported
        return None
    ports = source.op_cls.outputs
    if not port:
        if len(ports) == 1:
            port = next(iter(ports))
        else:
            out.add(f"node '{node_name}' has outputs {', '.join(ports)}; name one", path, owner,
                    f"e.g. '{node_name}.{next(iter(ports), 'port')}'")
            return None
    if port not in ports:
        hint = did_you_mean(port, ports) or f"its outputs are: {', '.join(ports) or 'none'}"
        out.add(f"node '{node_name}' (op {source.op_name}) has no output '{port}'", path, owner, hint)
        return None
    return InputRef(node_name, port)


def _bind_inputs(spec: PipelineSpec, nodes: dict[str, CompiledNode], out: _Collector) -> None:
    all_names = _ref_names(spec, nodes)
    for name, node in nodes.items():
        if name not in spec.nodes:  # the synthetic `inputs` node takes no inputs
            continue
        declared = node.op_cls.inputs
        given = spec.nodes[name].inputs
        for input_name, raw in given.items():
            path = ("nodes", name, "inputs", input_name)
            port = declared.get(input_name)
            if port is None:
                hint = did_you_mean(input_name, declared) or (
                    f"op {node.op_name} takes inputs: {', '.join(declared) or 'none'}")
                out.add(f"op {node.op_name} has no input '{input_name}'", path, name, hint, key=True)
                continue
            if isinstance(raw, list) and not port.many:
                out.add(f"input '{input_name}' takes one reference, got a list", path, name)
                continue
            raws = raw if isinstance(raw, list) else [raw]
            refs = []
            for i, r in enumerate(raws):
                ref_path = path + (i,) if isinstance(raw, list) else path
                ref = _parse_ref(r, nodes, all_names, ref_path, name, out)
                if ref is None:
                    continue
                produced = nodes[ref.node].op_cls.outputs[ref.port].type
                if not is_compatible(produced, port.type):
                    out.add(f"input '{input_name}' accepts {port.type} but {ref} produces {produced}",
                            ref_path, name, f"connect an output of type {port.type}")
                    continue
                refs.append(ref)
            node.inputs[input_name] = refs if port.many else (refs[0] if refs else None)
            if node.inputs[input_name] is None:
                del node.inputs[input_name]
        for input_name, port in declared.items():
            if port.required and input_name not in given:
                out.add(f"missing required input '{input_name}' ({port.type}) of op {node.op_name}",
                        ("nodes", name), name, f"add 'inputs: {{{input_name}: <node>.<port>}}'", key=True)


def _ref_names(spec: PipelineSpec, nodes: dict[str, CompiledNode]) -> list[str]:
    return list(spec.nodes) + ([INPUTS_NODE] if INPUTS_NODE in nodes and INPUTS_NODE not in spec.nodes else [])


def _check_outputs(spec: PipelineSpec, nodes: dict[str, CompiledNode], out: _Collector) -> dict[str, InputRef]:
    outputs = {}
    for key, raw in (spec.outputs or {}).items():
        ref = _parse_ref(raw, nodes, _ref_names(spec, nodes), ("outputs", key), None, out)
        if ref is not None:
            outputs[key] = ref
    return outputs


def _build_dag(nodes: dict[str, CompiledNode], out: _Collector) -> Dag:
    dag = Dag(nodes)
    for name, node in nodes.items():
        for ref in node.upstream():
            dag.add_edge(ref.node, name)
    names = dag.find_cycle()
    if names is None:
        return dag
    first = names[0]
    out.add(f"the graph has a cycle: {' -> '.join(names)}", ("nodes", first, "inputs"), first,
            "remove one of these inputs")
    return dag


def op_summary(op_cls: type[Op]) -> dict[str, Any]:
    """Everything `pipe ops` shows about an op, generated from its definition."""
    params = []
    for fname, field in op_cls.Params.model_fields.items():
        params.append({
            "name": fname,
            "type": _type_name(field.annotation),
            "default": None if field.is_required() else _json_default(field.get_default(call_default_factory=True)),
            "required": field.is_required(),
            "doc": field.description or "",
        })
    return {
        "name": op_cls.name,
        "version": op_cls.version,
        "doc": op_cls.doc(),
        "params": params,
        "inputs": {k: {"type": v.type, "required": v.required, "many": v.many, "doc": v.doc}
                   for k, v in op_cls.inputs.items()},
        "outputs": {k: {"type": v.type, "doc": v.doc} for k, v in op_cls.outputs.items()},
    }


def _type_name(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) if not getattr(annotation, "__args__", None) else None
    return text or str(annotation).replace("typing.", "")


def _json_default(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value


def missing_path_fix(raw: Any, node: str, field: str) -> str:
    """How to point a path parameter elsewhere: through the pipeline parameter it is written with, if any."""
    refs = [r for r in re.findall(r"\$\{([^}]+)\}", raw) if not r.startswith("env:")] if isinstance(raw, str) else []
    target = refs[0] if refs else f"{node}.{field}"
    return f"check the path, or pass --set {target}=PATH"
