"""`pipe graph`: print the DAG as Mermaid or DOT text, rendered locally."""

from __future__ import annotations

from .common import add_graph_options, compile_graph


def add_arguments(parser):
    add_graph_options(parser)
    parser.add_argument("--format", choices=["mermaid", "dot"], default="mermaid", help="output format")


def _label(text: str) -> str:
    return text.replace('"', "'")


def to_mermaid(graph) -> str:
    lines = ["flowchart TD"]
    for name, node in graph.nodes.items():
        lines.append(f'    {name}["{_label(name)}<br/><i>{_label(node.op_name)}</i>"]')
    for name, node in graph.nodes.items():
        for port, ref in node.inputs.items():
            for r in ref if isinstance(ref, list) else [ref]:
                lines.append(f"    {r.node} -->|{_label(r.port)} → {_label(port)}| {name}")
    return "\n".join(lines)


def to_dot(graph) -> str:
    lines = [f'digraph "{_label(graph.name)}" {{', "    rankdir=TB;", "    node [shape=box];"]
    for name, node in graph.nodes.items():
        lines.append(f'    "{name}" [label="{_label(name)}\\n{_label(node.op_name)}"];')
    for name, node in graph.nodes.items():
        for port, ref in node.inputs.items():
            for r in ref if isinstance(ref, list) else [ref]:
                lines.append(f'    "{r.node}" -> "{name}" [label="{_label(r.port)} → {_label(port)}"];')
    lines.append("}")
    return "\n".join(lines)


def run(args) -> int:
    graph = compile_graph(args)
    print(to_mermaid(graph) if args.format == "mermaid" else to_dot(graph))
    return 0
