"""`pipe validate`: compile without running."""

from __future__ import annotations

import sys

from .common import add_graph_options, compile_graph


def add_arguments(parser):
    add_graph_options(parser)


def run(args) -> int:
    graph = compile_graph(args, tune=True)
    print(f"{graph.file}: ok ({len(graph.nodes)} nodes, {graph.deps.number_of_edges()} edges)", file=sys.stderr)
    return 0
