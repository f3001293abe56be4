"""What `--json` prints: one JSON document of real objects (no JSON strings inside JSON, full ids).

Store records keep some columns as JSON text (`config_json`, `metrics_json`, ...); here they become objects
under the name without `_json`. Diagnostics become {file, line, column, code, message, node, hint} objects.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from .errors import CompileError, PipeError


def record_json(record: Any) -> dict[str, Any]:
    """A store record (or row dict) as a JSON-ready dict, its `*_json` text columns parsed."""
    row = record.to_dict() if hasattr(record, "to_dict") else dict(record)
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key.endswith("_json") and isinstance(value, str):
            try:
                out[key[:-len("_json")]] = json.loads(value)
            except json.JSONDecodeError:
                out[key[:-len("_json")]] = value
        elif key.endswith("_json") and value is None:
            out[key[:-len("_json")]] = None
        else:
            out[key] = value
    return out


def dumps(doc: Any) -> str:
    def default(value: Any) -> Any:
        if hasattr(value, "to_dict"):
            return record_json(value)
        return str(value)

    return json.dumps(doc, indent=2, default=default, allow_nan=False)


@dataclass(frozen=True)
class DiagnosticView:
    """One problem as `pipe validate --json` and `pipec.PipecError.diagnostics` give it."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    code: str = "error"
    node: str | None = None
    hint: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


CODES = (("unknown op", "unknown-op"), ("unknown parameter", "unknown-param"), ("missing required", "missing"),
         ("cycle", "cycle"), ("not used by any node", "unused-input"), ("does not exist", "missing-path"),
         ("duplicate", "duplicate-key"), ("accepts", "type-mismatch"), ("unknown node", "unknown-node"),
         ("YAML", "yaml"), ("cannot come from a request", "input-type"), ("--set", "override"))


def code_of(message: str) -> str:
    """A stable short code from the message's kind (for editors and CI to group by)."""
    return next((code for needle, code in CODES if needle in message), "invalid")


def diagnostics_of(exc: PipeError) -> list[DiagnosticView]:
    """The diagnostics of any PipeError: a compile error's, else one for its message."""
    if isinstance(exc, CompileError):
        out = []
        for d in exc.diagnostics:
            loc = d.location
            out.append(DiagnosticView(d.message, loc.file if loc else None, loc.line if loc else None,
                                      loc.col if loc else None, code_of(d.message), d.node, d.fix))
        return out
    return [DiagnosticView(str(exc), code=type(exc).__name__)]


def validate_json(compile_graph: Any) -> int:
    """`pipe validate --json`: the graph's summary, or every diagnostic as an object; the usual exit code."""
    try:
        graph = compile_graph()
    except PipeError as exc:
        print(dumps({"ok": False, "diagnostics": [d.to_json() for d in diagnostics_of(exc)]}))
        return exc.exit_code
    from .llm.preflight import graph_warnings
    from .read_paths import graph_reads, outside

    reads = outside(graph_reads(graph.nodes, graph.base_dir), graph.base_dir)
    print(dumps({"ok": True, "file": graph.file, "graph": graph.name, "nodes": len(graph.nodes),
                 "edges": sum(len(n.upstream()) for n in graph.nodes.values()),
                 "inputs": dict(graph.request_inputs), "static_nodes": graph.static_nodes,
                 "request_nodes": graph.request_nodes, "diagnostics": [],
                 "reads_outside": [{"node": r.node, "param": r.param, "path": str(r.path), "kind": r.kind}
                                   for r in reads],
                 "warnings": [{"node": w.node, "param": w.param, "model": w.model, "message": w.message}
                              for w in graph_warnings(graph)]}))
    return 0
