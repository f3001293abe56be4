"""Request inputs: what one request supplies to a graph (`inputs: {question: {type: Question}}`).

The compiler turns a graph's declared inputs into one synthetic node named `inputs` whose output ports are the
inputs, so nodes reference them like any output (`inputs.question`, or `${question}` the way params are
referenced). The nodes downstream of `inputs` are the per-request part of the plan; the others are the static
part, computed once and memoized as usual.

A request's values are handed to the run by its run id (`bind_request`): the `inputs` node's fingerprint is the
hash of those values, so every key of the per-request part depends on what the request asked, and nothing of
the static part does.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from .errors import UsageError
from .fingerprint import hash_value
from .op import Op, OpParams, Out
from .port_types import port_type

INPUTS_NODE = "inputs"
INPUTS_OP = "request.inputs"

QUESTION = port_type("Question", parent="Questions",
                     doc="one question supplied by a request (flows as a Questions list of one)")

# The port types a request can supply, and how a JSON value becomes one.
REQUEST_TYPES = ("Question", "Questions", "Text", "Number", "JSON", "Records", "Any")

_requests: dict[str, dict[str, Any]] = {}
_requests_lock = threading.Lock()


@contextmanager
def bind_request(run_id: str, values: dict[str, Any]) -> Iterator[None]:
    """Make `values` (already coerced) the request inputs of run `run_id` while the block runs."""
    with _requests_lock:
        _requests[run_id] = values
    try:
        yield
    finally:
        with _requests_lock:
            _requests.pop(run_id, None)


def _bound(run_id: str) -> dict[str, Any]:
    with _requests_lock:
        values = _requests.get(run_id)
    if values is None:
        raise UsageError("this graph takes request inputs; pass them with --input NAME=VALUE (pipe run), "
                         "inputs={...} (Graph.run) or a POST /run body (pipe serve)")
    return values


class _RequestInputsBase(Op):
    """The request's inputs, as output ports (one per declared input)."""

    name = INPUTS_OP
    inline = True
    cacheable = False
    Params = OpParams
    declared: ClassVar[dict[str, str]] = {}

    def fingerprint(self, ctx: Any) -> Any:
        return hash_value(_bound(ctx.runtime.run_id))

    def run(self, ctx: Any) -> dict[str, Any]:
        values = _bound(ctx.runtime.run_id)
        return {name: values[name] for name in self.declared}


def inputs_op(declared: dict[str, str]) -> type[Op]:
    """An op class whose outputs are the declared inputs (name -> port type)."""
    return type("RequestInputs", (_RequestInputsBase,), {
        "outputs": {name: Out(type_name) for name, type_name in declared.items()},
        "declared": dict(declared),
        "__module__": __name__,
    })


# --- values ----------------------------------------------------------------------------------------------

def coerce(type_name: str, value: Any, name: str) -> Any:
    """A request's JSON value as the value of an input of `type_name`; a UsageError names the input."""
    if type_name == "Question":
        return [_question(value, name, 0)]
    if type_name == "Questions":
        if not isinstance(value, list):
            raise UsageError(f"input '{name}' takes a list of questions")
        return [_question(v, name, i) for i, v in enumerate(value)]
    if type_name == "Text":
        if not isinstance(value, str):
            raise UsageError(f"input '{name}' takes a string")
        return value
    if type_name == "Number":
        if isinstance(value, str):
            try:
                value = float(value) if any(c in value for c in ".eE") else int(value)
            except ValueError:
                raise UsageError(f"input '{name}' takes a number, got '{value}'") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UsageError(f"input '{name}' takes a number")
        return value
    if type_name == "Records":
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise UsageError(f"input '{name}' takes a list of objects")
        return value
    return value


def _question(value: Any, name: str, index: int):
    from pipec.ops.data import Question

    if isinstance(value, str):
        value = {"question": value}
    if not isinstance(value, dict) or not isinstance(value.get("question"), str) or not value["question"].strip():
        raise UsageError(f"input '{name}' takes a question: a string or {{question, answers?, id?}}")
    known = {"id", "question", "answers", "gold_titles", "gold_ids", "topic_entities", "meta"}
    extra = sorted(set(value) - known)
    if extra:
        raise UsageError(f"input '{name}': unknown field '{extra[0]}' (fields: {', '.join(sorted(known))})")
    fields = dict(value)
    fields["id"] = str(fields.get("id") or f"q{index}")
    return Question(**fields)


def parse_cli_inputs(items: list[str], declared: dict[str, str]) -> dict[str, Any]:
    """`--input NAME=VALUE` flags as raw request values; JSON values are parsed for non-text types."""
    import json

    raw: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--input expects NAME=VALUE, got '{item}'")
        if name not in declared:
            from .errors import did_you_mean

            hint = did_you_mean(name, declared) or f"the graph's inputs: {', '.join(declared) or 'none'}"
            raise UsageError(f"--input: the graph has no input '{name}' ({hint})")
        value: Any = text
        if declared[name] != "Text" and text[:1] and text[:1] in '[{"':
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise UsageError(f"--input {name}: not valid JSON ({exc.msg})") from None
        raw[name] = value
    return raw


def request_values(declared: dict[str, str], raw: dict[str, Any]) -> dict[str, Any]:
    """Check and coerce a request's raw values: every declared input given, nothing else."""
    missing = [n for n in declared if n not in raw]
    if missing:
        raise UsageError(f"missing request input '{missing[0]}' ({declared[missing[0]]}); "
                         f"the graph's inputs: {', '.join(declared)}")
    unknown = [n for n in raw if n not in declared]
    if unknown:
        raise UsageError(f"unknown request input '{unknown[0]}'; the graph's inputs: {', '.join(declared)}")
    return {n: coerce(t, raw[n], n) for n, t in declared.items()}


def new_request_id() -> str:
    """Run ids of served requests end in '-req' so `pipe runs --served` can tell them apart."""
    import time

    return time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6] + "-req"


# --- compiling ---------------------------------------------------------------------------------------------

_REQUEST_REF = re.compile(r"^\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}$")
_INPUT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def as_node_ref(text: Any) -> Any:
    """`${question}` in a node's inputs is the same reference as `inputs.question`."""
    match = _REQUEST_REF.match(text) if isinstance(text, str) else None
    return f"{INPUTS_NODE}.{match.group(1)}" if match else text


def add_inputs_node(spec: Any, nodes: dict, out: Any) -> dict[str, str]:
    """Check the declared inputs and add the synthetic `inputs` node to `nodes`; returns name -> type."""
    from .errors import did_you_mean
    from .graph import CompiledNode

    declared: dict[str, str] = {}
    if not spec.inputs:
        return declared
    if INPUTS_NODE in spec.nodes:
        out.add("a graph that declares inputs cannot have a node named 'inputs'", ("nodes", INPUTS_NODE),
                INPUTS_NODE, "rename the node", key=True)
    for name, item in spec.inputs.items():
        if not _INPUT_NAME.match(str(name)):
            out.add(f"invalid input name '{name}'", ("inputs", name), fix="use letters, digits and '_'", key=True)
        elif item.type not in REQUEST_TYPES:
            hint = did_you_mean(item.type, REQUEST_TYPES) or f"a request can supply: {', '.join(REQUEST_TYPES)}"
            out.add(f"input '{name}': type '{item.type}' cannot come from a request", ("inputs", name, "type"),
                    fix=hint)
        else:
            declared[name] = item.type
    if declared:
        nodes[INPUTS_NODE] = CompiledNode(
            name=INPUTS_NODE, op_name=INPUTS_OP, op_cls=inputs_op(declared), params=OpParams(),
            display_params={}, inputs={}, cache=False, location=out.src.key_loc("inputs"))
    return declared


def check_inputs_used(spec: Any, declared: dict[str, str], out: Any) -> None:
    """An input no node (and no output) references is an error at its line."""
    used: set[str] = set()
    refs: list[Any] = list((spec.outputs or {}).values())
    for node in spec.nodes.values():
        for raw in node.inputs.values():
            refs.extend(raw if isinstance(raw, list) else [raw])
    for ref in refs:
        ref = as_node_ref(ref)
        if isinstance(ref, str) and ref.startswith(INPUTS_NODE + "."):
            used.add(ref.split(".", 1)[1])
    for name in declared:
        if name not in used:
            out.add(f"input '{name}' is not used by any node", ("inputs", name),
                    fix=f"reference it in a node's inputs as '${{{name}}}', or remove it", key=True)


def default_outputs(nodes: dict, dag: Any, declared: dict[str, str]) -> dict:
    """Without `outputs:`, a request returns the outputs of the per-request part's sinks (`dag`: a dag.Dag)."""
    from .graph import InputRef

    if not declared or INPUTS_NODE not in dag:
        return {}
    part = dag.descendants(INPUTS_NODE)
    outputs = {}
    for name in dag.topological_order():
        if name in part and dag.out_degree(name) == 0:
            ports = list(nodes[name].op_cls.outputs)
            for port in ports:
                outputs[name if len(ports) == 1 else f"{name}.{port}"] = InputRef(name, port)
    return outputs
