"""What a run returns: per-node results and the run's result (its JSON form is `pipe run --json`'s)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from .preview import to_jsonable


@dataclass
class NodeResult:
    name: str
    op: str
    key: str
    status: str = "pending"  # pending | running | succeeded | cached | failed | skipped | interrupted
    cache_hit: bool = False
    duration_s: float = 0.0
    error: str | None = None
    items_done: int | None = None
    items_total: int | None = None
    warnings: list[str] = field(default_factory=list)
    item_errors: dict[str, str] = field(default_factory=dict)  # item id -> error (LLM faults after retries)


@dataclass
class RunResult:
    run_id: str
    status: str  # succeeded | failed | interrupted | budget_exceeded
    nodes: dict[str, NodeResult]
    outputs: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    duration_s: float = 0.0
    error: str | None = None
    llm_calls: int = 0
    cost_usd: float = 0.0

    @property
    def cache_hits(self) -> int:
        return sum(1 for n in self.nodes.values() if n.cache_hit)

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "duration_s": round(self.duration_s, 4),
            "error": self.error,
            "llm_calls": self.llm_calls,
            "cost_usd": self.cost_usd,
            "nodes": {
                n.name: {"op": n.op, "status": n.status, "cache_hit": n.cache_hit, "duration_s": round(n.duration_s, 4),
                         "error": n.error, "warnings": n.warnings, "item_errors": n.item_errors}
                for n in self.nodes.values()
            },
            "metrics": self.metrics,
            "outputs": to_jsonable(self.outputs),
        }


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]


def metric_values(values: dict[str, Any]) -> dict[str, float]:
    """The numbers of a Metrics output (what a run records and reports of it)."""
    return {k: float(v) for k, v in values.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def metrics_name(node: str, port: str) -> str:
    """How a run reports a node's metrics: by node for its `metrics` output, `node.port` for another one."""
    return node if port == "metrics" else f"{node}.{port}"
