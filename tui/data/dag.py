"""The DAG of a run, rebuilt from the resolved config stored with it (runs.config_json).

node_runs holds nodes but not edges; the config has every node's `inputs`, whose references are `node` or
`node.port` strings (or lists of them).
"""

from __future__ import annotations

from typing import Any


def _refs(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    if isinstance(value, dict):
        return [r for v in value.values() for r in _refs(v)]
    return []


def parents(config: dict[str, Any]) -> dict[str, list[str]]:
    """node -> the nodes it reads from, in the order its inputs name them."""
    nodes = config.get("nodes") if isinstance(config, dict) else None
    if not isinstance(nodes, dict):
        return {}
    out: dict[str, list[str]] = {}
    for name, spec in nodes.items():
        found: list[str] = []
        inputs = spec.get("inputs", {}) if isinstance(spec, dict) else {}
        for ref in _refs(inputs):
            node = ref if ref in nodes else ref.split(".", 1)[0]
            if node in nodes and node not in found:
                found.append(node)
        out[name] = found
    return out


def spanning_tree(order: list[str], parent_map: dict[str, list[str]]) -> dict[str | None, list[str]]:
    """Children of each node in a tree that shows the DAG: a node hangs under its first parent (None = root).

    `order` is the nodes' order in the store (topological); other parents are shown as a node's label.
    """
    known = set(order)
    children: dict[str | None, list[str]] = {None: []}
    for name in order:
        first = next((p for p in parent_map.get(name, []) if p in known), None)
        children.setdefault(first, []).append(name)
        children.setdefault(name, [])
    return children
