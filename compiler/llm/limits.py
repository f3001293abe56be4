"""Concurrency limits (global and per model) and budgets (USD, calls). Used on the gateway loop only."""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
from collections.abc import AsyncIterator

from ..errors import BudgetExceeded


class Limits:
    """At most `concurrency` requests in flight overall, and at most `per_model[pattern]` for the models a
    pattern matches (an exact model string, a glob such as `openai/*`, or a provider prefix `openai/`)."""

    # Limits that apply unless the settings name the model: an in-process local model generates one reply at a
    # time, so its waiting requests should not hold global slots that remote models could use.
    IMPLICIT = {"local/": 1}

    def __init__(self, concurrency: int, per_model: dict[str, int] | None = None):
        self.concurrency = concurrency
        self.per_model = {**self.IMPLICIT, **dict(per_model or {})}
        self._global = asyncio.Semaphore(concurrency)
        self._by_pattern: dict[str, asyncio.Semaphore] = {}
        self._pattern_of: dict[str, str | None] = {}

    def pattern_for(self, model: str) -> str | None:
        if model not in self._pattern_of:
            match = None
            if model in self.per_model:
                match = model
            else:  # the settings' own patterns first, in their order; the implicit ones last
                ordered = [p for p in self.per_model if p not in self.IMPLICIT] + list(self.IMPLICIT)
                for pattern in ordered:
                    glob = pattern + "*" if pattern.endswith("/") else pattern
                    if fnmatch.fnmatchcase(model, glob):
                        match = pattern
                        break
            self._pattern_of[model] = match
        return self._pattern_of[model]

    @contextlib.asynccontextmanager
    async def slot(self, model: str) -> AsyncIterator[None]:
        pattern = self.pattern_for(model)
        if pattern is None:
            async with self._global:
                yield
            return
        sem = self._by_pattern.get(pattern)
        if sem is None:
            sem = self._by_pattern[pattern] = asyncio.Semaphore(max(1, int(self.per_model[pattern])))
        async with sem:  # the model's slot first, so waiting for it never holds a global slot
            async with self._global:
                yield


class Budget:
    """Counts uncached calls and their cost; refuses a new call once a budget is reached.

    Calls already in flight when the budget is reached still finish (and are paid for), so the USD total may
    exceed `max_usd` by at most the cost of `concurrency` calls."""

    def __init__(self, max_usd: float | None = None, max_calls: int | None = None):
        self.max_usd = max_usd
        self.max_calls = max_calls
        self.calls = 0
        self.cost_usd = 0.0
        self.unknown_cost_calls = 0

    def reserve_call(self) -> None:
        if self.max_calls is not None and self.calls >= self.max_calls:
            raise BudgetExceeded(f"LLM call budget reached: {self.calls} calls made, --max-calls "
                                 f"{self.max_calls}; completed work is kept (re-run with a higher budget: "
                                 "cached calls are free)")
        if self.max_usd is not None and self.cost_usd >= self.max_usd:
            raise BudgetExceeded(f"LLM cost budget reached: ${self.cost_usd:.4f} spent, --max-usd "
                                 f"{self.max_usd:g}; completed work is kept (re-run with a higher budget: "
                                 "cached calls are free)")
        self.calls += 1

    def add_cost(self, cost: float | None) -> None:
        if cost is None:
            self.unknown_cost_calls += 1
        else:
            self.cost_usd += cost
