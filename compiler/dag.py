"""The dependency graph of a compiled pipeline as plain adjacency dicts: what the compiler and the executor need
(order, cycles, parents, children, descendants) without importing networkx, which costs a `pipe` command more
than all of its own work. `CompiledGraph.dag` still offers a networkx DiGraph, built on first use, for the
callers that want networkx's algorithms (pictures, request splitting, tune validation)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


class Dag:
    def __init__(self, nodes: Iterable[str] = ()):
        self._succ: dict[str, dict[str, None]] = {}
        self._pred: dict[str, dict[str, None]] = {}
        for n in nodes:
            self.add_node(n)

    def add_node(self, node: str) -> None:
        if node not in self._succ:
            self._succ[node] = {}
            self._pred[node] = {}

    def add_edge(self, source: str, target: str) -> None:
        self.add_node(source)
        self.add_node(target)
        self._succ[source][target] = None
        self._pred[target][source] = None

    def __contains__(self, node: object) -> bool:
        return node in self._succ

    def __iter__(self) -> Iterator[str]:
        return iter(self._succ)

    def __len__(self) -> int:
        return len(self._succ)

    def successors(self, node: str) -> Iterator[str]:
        return iter(self._succ[node])

    def predecessors(self, node: str) -> Iterator[str]:
        return iter(self._pred[node])

    def out_degree(self, node: str) -> int:
        return len(self._succ[node])

    def in_degree(self, node: str) -> int:
        return len(self._pred[node])

    def number_of_edges(self) -> int:
        return sum(len(s) for s in self._succ.values())

    def edges(self) -> list[tuple[str, str]]:
        return [(a, b) for a, targets in self._succ.items() for b in targets]

    def find_cycle(self) -> list[str] | None:
        """One cycle as [a, b, ..., a] (depth first, in insertion order, like networkx.find_cycle), or None."""
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        for root in self._succ:
            if root in state:
                continue
            path, stack = [root], [iter(self._succ[root])]
            state[root] = 1
            while stack:
                child = next(stack[-1], None)
                if child is None:
                    state[path.pop()] = 2
                    stack.pop()
                elif state.get(child) == 1:
                    return path[path.index(child):] + [child]
                elif child not in state:
                    state[child] = 1
                    path.append(child)
                    stack.append(iter(self._succ[child]))
        return None

    def topological_order(self) -> list[str]:
        """Kahn's algorithm, stable: ties keep insertion order. Raises ValueError on a cycle."""
        waiting = {n: len(p) for n, p in self._pred.items()}
        ready = [n for n, k in waiting.items() if k == 0]
        out: list[str] = []
        i = 0
        while i < len(ready):
            n = ready[i]
            i += 1
            out.append(n)
            for child in self._succ[n]:
                waiting[child] -= 1
                if waiting[child] == 0:
                    ready.append(child)
        if len(out) != len(self._succ):
            raise ValueError("the graph has a cycle")
        return out

    def _reach(self, start: str, adjacency: dict[str, dict[str, None]]) -> set[str]:
        seen: set[str] = set()
        todo = list(adjacency[start])
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(adjacency[n])
        return seen

    def descendants(self, node: str) -> set[str]:
        return self._reach(node, self._succ)

    def ancestors(self, node: str) -> set[str]:
        return self._reach(node, self._pred)

    def to_networkx(self) -> Any:
        import networkx as nx

        g = nx.DiGraph()
        g.add_nodes_from(self._succ)
        g.add_edges_from(self.edges())
        return g
