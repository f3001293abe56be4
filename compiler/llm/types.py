"""What the gateway returns: `LLMResponse` for text, `StructuredResult` for validated objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class LLMResponse:
    text: str
    model: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None  # None when the model's price is unknown; 0.0 on a cache hit
    cache_hit: bool = False
    latency_s: float = 0.0
    request_hash: str = ""


@dataclass
class StructuredResult:
    """A validated instance of the requested pydantic model (`value`), or `error` saying why not.

    A reply that still does not parse after JSON repair and one corrective re-ask is a per-item error,
    not an exception: `value` is None and `error` holds the reason; `raw` is the last reply."""

    value: Any = None
    error: str | None = None
    raw: str = ""
    responses: list[LLMResponse] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def cost_usd(self) -> float | None:
        costs = [r.cost_usd for r in self.responses]
        return None if any(c is None for c in costs) else sum(costs)
