"""Running a graph that declares request inputs: the static part once, then one run per request.

`prepare_static` runs the static part (memoized as any run: a restart finds every node cached) and returns the
values the per-request part reads, so a server holds them in memory instead of loading an index from the store
on every request. `RequestExecutor` runs one request: its inputs bound to its run id, static values from memory,
and only the nodes the request's outputs need (plus the metric nodes when the request carries gold answers).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .errors import UsageError
from .executor import Executor, RunResult
from .graph import CompiledGraph
from .inputs import INPUTS_NODE, bind_request, request_values


def static_subgraph(graph: CompiledGraph) -> CompiledGraph:
    """The static part as a graph of its own (same nodes, so the same cache keys)."""
    keep = set(graph.static_nodes)
    return dataclasses.replace(
        graph, nodes={n: node for n, node in graph.nodes.items() if n in keep},
        dag=graph.dag.subgraph(keep).copy(), order=[n for n in graph.order if n in keep],
        outputs={k: r for k, r in graph.outputs.items() if r.node in keep}, request_inputs={},
    )


def static_values_needed(graph: CompiledGraph) -> set[str]:
    """Static nodes whose values the per-request part (or a request's outputs) reads."""
    request = set(graph.request_nodes)
    needed = {r.node for n in request for r in graph.nodes[n].upstream() if r.node not in request}
    return needed | {r.node for r in graph.outputs.values() if r.node not in request}


def has_gold(values: dict[str, Any]) -> bool:
    """Does any question of the request carry gold answers (so its metrics mean something)?"""
    for value in values.values():
        items = value if isinstance(value, list) else [value]
        if any(getattr(item, "answers", None) for item in items):
            return True
    return False


class RequestExecutor(Executor):
    """An executor for a graph with request inputs (also a plain graph: then it is the usual executor)."""

    def __init__(self, graph: CompiledGraph, store: Any, *, inputs: dict[str, Any] | None = None,
                 static_values: dict[str, dict[str, Any]] | None = None, **kwargs: Any):
        if inputs and not graph.request_inputs:
            raise UsageError(f"{graph.file} declares no request inputs (got {', '.join(inputs)}); add an "
                             "'inputs:' section or run it without inputs")
        super().__init__(graph, store, **kwargs)
        self.request = request_values(graph.request_inputs, inputs or {}) if graph.request_inputs else {}
        self.static_values = static_values or {}

    @property
    def values(self) -> dict[str, dict[str, Any]]:
        """Output values of the nodes this run computed or loaded, by node."""
        return self._values

    async def run_async(self) -> RunResult:
        if not self.graph.request_inputs:
            return await super().run_async()
        with bind_request(self.run_id, self.request):
            return await super().run_async()

    def _plan(self, keys: dict[str, str]) -> set[str]:
        to_run = super()._plan(keys)
        for name in self.static_values:
            if name in to_run:
                to_run.discard(name)
                self.results[name].status, self.results[name].cache_hit = "cached", True
        if self.graph.request_inputs:
            unwanted = to_run - self._wanted()
            for name in unwanted:
                self.results[name].status = "skipped"
            to_run -= unwanted
        return to_run

    def _wanted(self) -> set[str]:
        """The nodes a request needs: its outputs' ancestors, and metric nodes when it has gold answers."""
        import networkx as nx

        graph = self.graph
        targets = {r.node for r in graph.outputs.values()}
        if has_gold(self.request):
            targets |= {n for n in graph.request_nodes
                        if any(o.type == "Metrics" for o in graph.nodes[n].op_cls.outputs.values())}
        wanted = set(targets)
        for name in targets:
            wanted |= nx.ancestors(graph.dag, name)
        return wanted | {INPUTS_NODE}

    def _cached_values_needed(self, to_run: set[str]) -> list[str]:
        needed = super()._cached_values_needed(to_run)
        if not self.graph.request_inputs:
            return needed
        # A request reports its own metrics, not the static part's (those belong to the static run).
        static = set(self.graph.static_nodes)
        direct = {r.node for n in to_run for r in self.graph.nodes[n].upstream()}
        direct |= {r.node for r in self.graph.outputs.values()}
        return [n for n in needed if (n not in static or n in direct) and self.results[n].status != "skipped"]

    async def _load_cached(self, name: str) -> None:
        if name in self.static_values:
            self._values[name] = self.static_values[name]
            return
        await super()._load_cached(name)


def prepare_static(graph: CompiledGraph, store: Any, **kwargs: Any) -> tuple[RunResult, dict[str, dict]]:
    """Run the static part (a run of its own) and return it with the values the per-request part reads."""
    static = static_subgraph(graph)
    executor = RequestExecutor(static, store, **kwargs)
    result = executor.run()
    values: dict[str, dict] = {}
    if result.status != "succeeded":
        return result, values
    for name in static_values_needed(graph):
        if name in executor.values:
            values[name] = executor.values[name]
        elif store is not None:
            values[name] = store.load_result(result.nodes[name].key)
    return result, values
