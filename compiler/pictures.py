"""Pictures of a compiled graph: layered text, Mermaid, DOT, and SVG/PNG through Graphviz's `dot`.

Every form shows each node's op, which part of the plan it is in (static: computed once; per request: runs
for every request), and, given a run's node states, each node's status and time.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

NodeStates = dict[str, dict[str, Any]]  # node -> {"status": ..., "duration_s": ...}

STATUS_COLORS = {"succeeded": "#c8e6c9", "cached": "#e0e0e0", "failed": "#ffcdd2", "skipped": "#fff9c4",
                 "interrupted": "#ffe0b2", "running": "#bbdefb", "pending": "#ffffff"}


def node_states(run: Any) -> NodeStates:
    """Node states from a RunResult, a pipec.Run, or the store's node rows (a list of dicts)."""
    if run is None:
        return {}
    if isinstance(run, dict):
        return run
    nodes = getattr(run, "nodes", None)
    if isinstance(nodes, dict):
        return {n: {"status": r.status, "duration_s": r.duration_s} for n, r in nodes.items()}
    return {row["node"]: {"status": row["status"], "duration_s": row["duration_s"] or 0.0} for row in run}


def _parts(graph: Any) -> list[tuple[str, list[str]]]:
    if not graph.request_inputs:
        return [("", list(graph.nodes))]
    static = set(graph.static_nodes)
    return [("static (computed once)", [n for n in graph.nodes if n in static]),
            ("per request", [n for n in graph.nodes if n not in static])]


def _edges(graph: Any) -> list[tuple[str, str, str]]:
    out = []
    for name, node in graph.nodes.items():
        for port, ref in node.inputs.items():
            for r in ref if isinstance(ref, list) else [ref]:
                out.append((r.node, name, f"{r.port} → {port}"))
    return out


def _state_text(states: NodeStates, name: str) -> str:
    state = states.get(name)
    if not state:
        return ""
    return f"{state.get('status', '?')} {float(state.get('duration_s') or 0):.2f}s"


def _label(text: str) -> str:
    return str(text).replace('"', "'")


def to_text(graph: Any, run: Any = None) -> str:
    """Layers of the DAG, top to bottom, grouped by part."""
    import networkx as nx

    states = node_states(run)
    layer = {}
    for i, generation in enumerate(nx.topological_generations(graph.dag)):
        for name in generation:
            layer[name] = i
    lines = [f"{graph.name}: {len(graph.nodes)} nodes"]
    for title, names in _parts(graph):
        if title:
            lines.append(f"{title}:")
        depth = _part_depths(names, {n: [r.node for r in graph.nodes[n].upstream()] for n in names}, layer)
        for name in sorted(names, key=lambda n: (layer.get(n, 0), list(graph.nodes).index(n))):
            node = graph.nodes[name]
            feeds = ", ".join(sorted({str(r) for r in node.upstream()}))
            state = _state_text(states, name)
            lines.append(f"  {'  ' * depth[name]}{name} [{node.op_name}]"
                         + (f" <- {feeds}" if feeds else "") + (f"  ({state})" if state else ""))
    return "\n".join(lines)


def _part_depths(members: list[str], parents: dict[str, list[str]], layer: dict[str, int]) -> dict[str, int]:
    """Depth of each node counting only edges inside its part (the drawing's indentation)."""
    inside = set(members)
    depth: dict[str, int] = {}
    for n in sorted(members, key=lambda m: layer.get(m, 0)):  # parents first
        depth[n] = 1 + max((depth[p] for p in parents.get(n, []) if p in inside and p in depth), default=-1)
    return depth


def to_mermaid(graph: Any, run: Any = None) -> str:
    states = node_states(run)
    lines = ["flowchart TD"]
    for i, (title, names) in enumerate(_parts(graph)):
        indent = "    "
        if title:
            lines.append(f'    subgraph part{i}["{title}"]')
            indent = "        "
        for name in names:
            state = _state_text(states, name)
            extra = f"<br/>{_label(state)}" if state else ""
            lines.append(f'{indent}{name}["{_label(name)}<br/><i>{_label(graph.nodes[name].op_name)}</i>{extra}"]')
        if title:
            lines.append("    end")
    for source, target, label in _edges(graph):
        lines.append(f"    {source} -->|{_label(label)}| {target}")
    for name, state in states.items():
        color = STATUS_COLORS.get(state.get("status", ""))
        if color and name in graph.nodes:
            lines.append(f"    style {name} fill:{color}")
    return "\n".join(lines)


def to_dot(graph: Any, run: Any = None) -> str:
    states = node_states(run)
    lines = [f'digraph "{_label(graph.name)}" {{', "    rankdir=TB;", '    node [shape=box, style="rounded,filled", '
             'fillcolor="#ffffff", fontname="Helvetica"];']
    for i, (title, names) in enumerate(_parts(graph)):
        indent = "    "
        if title:
            lines.append(f'    subgraph cluster_{i} {{ label="{title}"; style=dashed;')
            indent = "        "
        for name in names:
            state = _state_text(states, name)
            color = STATUS_COLORS.get(states.get(name, {}).get("status", ""), "#ffffff")
            label = f"{_label(name)}\\n{_label(graph.nodes[name].op_name)}" + (f"\\n{state}" if state else "")
            lines.append(f'{indent}"{name}" [label="{label}", fillcolor="{color}"];')
        if title:
            lines.append("    }")
    for source, target, label in _edges(graph):
        lines.append(f'    "{source}" -> "{target}" [label="{_label(label)}"];')
    lines.append("}")
    return "\n".join(lines)


class GraphvizMissing(RuntimeError):
    """The system `dot` program is not installed."""


def render(dot_text: str, fmt: str) -> bytes:
    """SVG or PNG bytes from DOT text through Graphviz's `dot` program."""
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizMissing("Graphviz's 'dot' program is not installed (apt-get install graphviz, brew install "
                              "graphviz, or conda install graphviz); here is the Mermaid text instead")
    done = subprocess.run([exe, f"-T{fmt}"], input=dot_text.encode(), capture_output=True, timeout=60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"dot failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def config_text(config: dict[str, Any], run: Any = None) -> str:
    """The layered drawing of `to_text`, from a stored run's resolved config (no compiling, no ops needed):
    what the TUI's run screen shows on `g`."""
    import re

    nodes = config.get("nodes") if isinstance(config, dict) else None
    if not isinstance(nodes, dict):
        return "(this run's config has no nodes)"
    inputs = config.get("inputs") or {}
    names = (["inputs"] if inputs else []) + list(nodes)
    parents: dict[str, list[str]] = {n: [] for n in names}
    for name, spec in nodes.items():
        raw = spec.get("inputs", {}) if isinstance(spec, dict) else {}
        refs = [r for v in raw.values() for r in (v if isinstance(v, list) else [v]) if isinstance(r, str)]
        for ref in refs:
            source = "inputs" if re.fullmatch(r"\$\{\s*\w+\s*\}", ref) else ref.split(".", 1)[0]
            if source in parents and source not in parents[name]:
                parents[name].append(source)
    layer: dict[str, int] = {}

    def depth(n: str, seen: frozenset = frozenset()) -> int:
        if n not in layer:
            layer[n] = 1 + max((depth(p, seen | {n}) for p in parents[n] if p not in seen), default=-1)
        return layer[n]

    for n in names:
        depth(n)
    request: set[str] = set()
    if inputs:
        request.add("inputs")
        changed = True
        while changed:
            changed = False
            for n in names:
                if n not in request and any(p in request for p in parents[n]):
                    request.add(n)
                    changed = True
    states = node_states(run)
    groups = [("", names)] if not inputs else [("static (computed once)", [n for n in names if n not in request]),
                                               ("per request", [n for n in names if n in request])]
    lines = [f"{config.get('pipeline') or 'graph'}: {len(names)} nodes"]
    for title, members in groups:
        if title:
            lines.append(f"{title}:")
        part_depth = _part_depths(members, parents, layer)
        for n in sorted(members, key=lambda m: (layer[m], names.index(m))):
            op = "request.inputs" if n == "inputs" else nodes[n].get("op", "?")
            state = _state_text(states, n)
            lines.append(f"  {'  ' * part_depth[n]}{n} [{op}]" + (f" <- {', '.join(parents[n])}" if parents[n] else "")
                         + (f"  ({state})" if state else ""))
    return "\n".join(lines)
