"""The compiled form of a pipeline: validated nodes with bound inputs, in a networkx DAG."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

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
    dag: nx.DiGraph
    order: list[str]  # a topological order
    outputs: dict[str, InputRef]
    params: dict[str, Any]  # resolved pipeline params (display form)
    config: dict[str, Any]  # the whole resolved config (display form), as written to the store
    secrets: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.pipeline or Path(self.file).stem

    def downstream_of(self, names: list[str]) -> set[str]:
        out: set[str] = set()
        for n in names:
            out.add(n)
            out |= nx.descendants(self.dag, n)
        return out
