"""`pipe graph`: the DAG as layered text, Mermaid (default), DOT, or an SVG/PNG picture (Graphviz), with the
static / per-request split and, given a run id, each node's status and time."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .common import add_graph_options, add_store_option, compile_graph

FORMATS = ["text", "mermaid", "dot", "svg", "png"]


def add_arguments(parser):
    add_graph_options(parser)
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help="output format (default: mermaid; from --out's extension when given)")
    parser.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout (svg/png need a file)")
    parser.add_argument("--run", metavar="RUN", help="show each node's status and time in this stored run "
                                                     "('last' for the newest)")
    add_store_option(parser)
    parser.add_argument("--json", action="store_true", help="print the graph (nodes, edges, split) as JSON")


def graph_json(graph) -> dict:
    static = set(graph.static_nodes)
    return {
        "graph": graph.name, "file": graph.file,
        "inputs": dict(graph.request_inputs),
        "outputs": {k: str(r) for k, r in graph.outputs.items()},
        "nodes": [{"name": n, "op": node.op_name, "part": "static" if n in static else "request",
                   "inputs": {p: [str(r) for r in ref] if isinstance(ref, list) else str(ref)
                              for p, ref in node.inputs.items()}}
                  for n, node in graph.nodes.items()],
        "edges": [{"from": r.node, "port": r.port, "to": n, "input": p}
                  for n, node in graph.nodes.items() for p, ref in node.inputs.items()
                  for r in (ref if isinstance(ref, list) else [ref])],
        "static_nodes": graph.static_nodes, "request_nodes": graph.request_nodes,
    }


def _run_states(args):
    if not args.run:
        return None
    from ..errors import UsageError
    from .common import open_store

    store = open_store(args, readonly=True)
    try:
        latest = store.list_runs(1) if args.run == "last" else []
        row = latest[0] if latest else store.get_run(args.run)
        if row is None:
            raise UsageError(f"no run '{args.run}' in {args.store} (see 'pipe runs')")
        return [dict(r) if not hasattr(r, "to_dict") else r.to_dict() for r in store.node_runs(row["id"])]
    finally:
        store.close()


def run(args) -> int:
    from ..errors import UsageError
    from ..pictures import GraphvizMissing, node_states, render, to_dot, to_mermaid, to_text

    graph = compile_graph(args)
    fmt = args.format or (Path(args.out).suffix.lstrip(".") if args.out else "mermaid")
    if fmt == "mmd":
        fmt = "mermaid"
    if fmt not in FORMATS:
        raise UsageError(f"--format: cannot tell the format of '{args.out}'; pass --format {'|'.join(FORMATS)}")
    states = node_states(_run_states(args))
    if args.json:
        doc = graph_json(graph)
        if states:
            for node in doc["nodes"]:
                node["run"] = states.get(node["name"])
        print(json.dumps(doc, indent=2))
        return 0
    if fmt in ("svg", "png"):
        if not args.out:
            raise UsageError(f"--format {fmt} writes a picture: pass --out FILE.{fmt}")
        try:
            Path(args.out).write_bytes(render(to_dot(graph, states), fmt))
        except GraphvizMissing as exc:
            print(f"error: {exc}", file=sys.stderr)
            print(to_mermaid(graph, states))
            return 2
        print(f"wrote {args.out}", file=sys.stderr)
        return 0
    text = {"text": to_text, "mermaid": to_mermaid, "dot": to_dot}[fmt](graph, states)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        print(text)
    return 0
