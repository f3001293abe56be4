"""The compiled form of a pipeline: validated nodes with bound inputs, in a DAG.

The compiler and the executor use the light `Dag` of dag.py (`graph.deps`, `predecessors`, `successors`,
`downstream_of`); `graph.dag` is the same graph as a networkx DiGraph, built (and networkx imported) on first use
only, so that `pipe validate` and `pipe run` do not pay for importing networkx."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .dag import Dag
from .errors import Location
from .op import Op, OpParams
from .spec import PipelineSpec


@dataclass(frozen=True)
class InputRef:
    """One edge: the value of `node`'s output `port` feeds an input."""

    node: str
    port: str

    def __str__(self) -> str:
        return f"{self.node}.{self.port}"


@dataclass
class CompiledNode:
    name: str
    op_name: str
    op_cls: type[Op]
    params: OpParams
    display_params: dict[str, Any]  # params as stored: secrets redacted to their ${env:...} placeholders
    inputs: dict[str, InputRef | list[InputRef]]
    cache: bool = True
    location: Location | None = None

    def upstream(self) -> list[InputRef]:
        refs: list[InputRef] = []
        for ref in self.inputs.values():
            refs.extend(ref if isinstance(ref, list) else [ref])
        return refs


@dataclass
class CompiledGraph:
    file: str
    base_dir: Path
    spec: PipelineSpec
    nodes: dict[str, CompiledNode]
    dag: Any  # a Dag or a networkx DiGraph; reading `graph.dag` gives a networkx DiGraph (see below)
    order: list[str]  # a topological order
    outputs: dict[str, InputRef]
    params: dict[str, Any]  # resolved pipeline params (display form)
    config: dict[str, Any]  # the whole resolved config (display form), as written to the store
    secrets: dict[str, str] = field(default_factory=dict)
    request_inputs: dict[str, str] = field(default_factory=dict)  # declared inputs: name -> port type

    @property
    def name(self) -> str:
        return self.spec.pipeline or Path(self.file).stem

    @property
    def request_nodes(self) -> list[str]:
        """The per-request part: the `inputs` node and everything downstream of it (topological order)."""
        if not self.request_inputs:
            return []
        part = self.downstream_of(["inputs"])
        return [n for n in self.order if n in part]

    @property
    def static_nodes(self) -> list[str]:
        """The static part: nodes that depend on no request input (computed once, memoized)."""
        part = set(self.request_nodes)
        return [n for n in self.order if n not in part]

    @property
    def deps(self) -> Dag:
        """The dependency graph without networkx: node -> the nodes whose outputs it reads."""
        deps = self.__dict__.get("_deps")
        if deps is None:
            given = self.__dict__.get("_dag")
            if isinstance(given, Dag):
                deps = given
            else:
                deps = Dag(self.nodes)
                for name, node in self.nodes.items():
                    for ref in node.upstream():
                        if ref.node in self.nodes:
                            deps.add_edge(ref.node, name)
            self.__dict__["_deps"] = deps
        return deps

    def predecessors(self, name: str) -> list[str]:
        return list(self.deps.predecessors(name))

    def successors(self, name: str) -> list[str]:
        return list(self.deps.successors(name))

    def downstream_of(self, names: list[str]) -> set[str]:
        out: set[str] = set()
        for n in names:
            out.add(n)
            out |= self.deps.descendants(n)
        return out


def _get_dag(graph: CompiledGraph) -> Any:
    dag = graph.__dict__.get("_dag")
    if dag is None or isinstance(dag, Dag):
        dag = graph.deps.to_networkx()
        graph.__dict__["_dag"] = dag
    return dag


def _set_dag(graph: CompiledGraph, value: Any) -> None:
    graph.__dict__["_dag"] = value
    graph.__dict__.pop("_deps", None)


# `dag` stays a constructor field (CompiledGraph(dag=...), dataclasses.replace) but reads as networkx, lazily.
CompiledGraph.dag = property(_get_dag, _set_dag)
