"""What the store's read methods return: one frozen dataclass per kind of row.

Fields are named after the columns (see schema.py). Records also read like the dicts they replace
(`run["status"]`, `run.get("note")`, `dict(run)`), so code written against rows keeps working; new code uses
attributes. `to_dict()` gives a JSON-ready dict.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Self


class Record:
    """Mapping-style reads over a dataclass (a transition aid: prefer attributes)."""

    __slots__ = ()

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def keys(self) -> list[str]:
        return [f.name for f in fields(self)]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self.keys()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        return cls(**{f.name: row.get(f.name) for f in fields(cls)})


@dataclass(frozen=True, slots=True)
class RunRecord(Record):
    id: str
    graph_name: str
    graph_file: str
    config_json: str
    status: str
    started_at: float
    ended_at: float | None = None
    duration_s: float | None = None
    error: str | None = None
    nodes_total: int = 0
    nodes_cached: int = 0
    nodes_failed: int = 0
    llm_calls: int = 0
    cost_usd: float = 0.0
    metrics_json: str | None = None
    outputs_json: str | None = None
    study_id: str | None = None
    trial_number: int | None = None
    pid: int | None = None


@dataclass(frozen=True, slots=True)
class NodeRunRecord(Record):
    run_id: str
    node: str
    op: str
    op_version: str
    cache_key: str
    status: str
    cache_hit: int = 0
    started_at: float | None = None
    ended_at: float | None = None
    duration_s: float | None = None
    items_done: int | None = None
    items_total: int | None = None
    output_size: int | None = None
    output_preview: str | None = None
    params_json: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class MetricRecord(Record):
    node: str
    port: str
    name: str
    value: float | None


@dataclass(frozen=True, slots=True)
class LLMCallRecord(Record):
    id: int
    run_id: str | None
    node: str | None
    item: str | None
    model: str
    request_hash: str
    messages_json: str | None = None
    params_json: str | None = None
    response: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
    latency_s: float | None = None
    cache_hit: int = 0
    error: str | None = None
    created_at: float | None = None


@dataclass(frozen=True, slots=True)
class LLMCall:
    """One call to log (what the gateway knows when a call ends); texts are redacted by the store."""

    model: str
    request_hash: str
    messages: Any
    run_id: str | None = None
    node: str | None = None
    item: str | None = None
    params: dict[str, Any] | None = None
    response: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
    latency_s: float = 0.0
    cache_hit: bool = False
    error: str | None = None


@dataclass(frozen=True, slots=True)
class CacheHit(Record):
    """A memoized result found for a node key: what the node row of a cache hit shows. `size_bytes` is None
    when the store that answered does not know it (a worker's journal): `add_nodes` then reads it itself."""
    key: str
    preview: str | None = None
    size_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class CachedResponse(Record):
    model: str
    text: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    cost_usd: float | None


@dataclass(frozen=True, slots=True)
class StudyRecord(Record):
    id: str
    name: str
    graph_name: str
    graph_file: str
    strategy: str
    objective_json: str
    space_json: str
    settings_json: str | None
    status: str
    created_at: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class StudySummary(Record):
    """A study with its trial totals (the studies list)."""

    id: str
    name: str
    graph_name: str
    strategy: str
    objective_json: str
    status: str
    created_at: float
    updated_at: float
    trials: int = 0
    complete: int | None = None
    failed: int | None = None
    cost_usd: float | None = None
    cache_hits: int | None = None
    best_max: float | None = None
    best_min: float | None = None
    settings_json: str | None = None  # its owner's pid: a `running` study whose process died is interrupted


@dataclass(frozen=True, slots=True)
class TrialRecord(Record):
    study_id: str
    number: int
    state: str
    config_json: str
    config_hash: str
    value: float | None = None
    metrics_json: str | None = None
    run_id: str | None = None
    budget: float | None = None
    cost_usd: float | None = None
    llm_calls: int | None = None
    cache_hits: int | None = None
    duration_s: float | None = None
    error: str | None = None
    started_at: float | None = None
    ended_at: float | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ProposalRecord(Record):
    id: int
    study_id: str
    trial_number: int | None
    outcome: str
    reason: str | None
    reply: str | None
    config_json: str | None
    created_at: float


@dataclass(frozen=True, slots=True)
class StudyTotals(Record):
    """Spend of a study: its trials plus the proposer's own LLM calls."""

    cost_usd: float
    llm_calls: int
    proposer_calls: int


@dataclass
class Page:
    """One page of a large table: `rows` starting at `offset`, out of `total` matching rows."""

    offset: int
    total: int
    rows: list[dict[str, Any]]


def json_default(value: Any) -> Any:
    """`json.dumps(..., default=json_default)`: records as dicts, anything else as its string."""
    return value.to_dict() if isinstance(value, Record) else str(value)
