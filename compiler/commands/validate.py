"""`pipe validate`: compile without running."""

from __future__ import annotations

import sys

from .common import add_graph_options, compile_graph


def add_arguments(parser):
    add_graph_options(parser)
    parser.add_argument("--json", action="store_true", help="print {ok, graph, nodes, edges, diagnostics: [{file, "
                                                            "line, column, code, message, node, hint}]} on stdout")


def run(args) -> int:
    if args.json:
        from ..json_views import validate_json

        return validate_json(lambda: compile_graph(args, tune=True))
    graph = compile_graph(args, tune=True)
    print(f"{graph.file}: ok ({len(graph.nodes)} nodes, {graph.deps.number_of_edges()} edges)", file=sys.stderr)
    from ..llm.preflight import graph_warnings

    for w in graph_warnings(graph):
        where = graph.nodes[w.node].location
        print(f"{where}: warning: node '{w.node}': {w.message}" if where else f"warning: node '{w.node}': "
              f"{w.message}", file=sys.stderr)
    from ..read_paths import outside_report

    lines = outside_report(graph)
    if lines:
        print(f"reads {len(lines)} path{'s' if len(lines) != 1 else ''} outside the graph's folder:", file=sys.stderr)
        print("\n".join(lines), file=sys.stderr)
    return 0
