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
    """Counts uncached calls and their cost, and holds both budgets under concurrency.

    Before a request is sent, `reserve` books one call and its estimated cost (prompt tokens x input price +
    max_tokens x output price); `settle` replaces the estimate by the real cost. A call may start only while
    what is spent plus what is reserved stays below `max_usd`, so the total exceeds the budget by at most one
    call's estimate, however many calls run at once. When the budget looks spent but reservations are still
    open, a new call waits for them to settle (estimates are upper bounds) before it is refused."""

    def __init__(self, max_usd: float | None = None, max_calls: int | None = None):
        self.max_usd = max_usd
        self.max_calls = max_calls
        self.calls = 0
        self.cost_usd = 0.0
        self.reserved_usd = 0.0
        self.unknown_cost_calls = 0
        self._open = 0
        self._settled: asyncio.Condition | None = None

    async def reserve(self, estimate_usd: float = 0.0) -> float:
        """Book one call of `estimate_usd`; raises BudgetExceeded when the budgets allow no more calls."""
        if self._settled is None:
            self._settled = asyncio.Condition()
        async with self._settled:
            while self.max_usd is not None and self.cost_usd + self.reserved_usd >= self.max_usd and self._open:
                await self._settled.wait()
            self._check()
            self.calls += 1
            self._open += 1
            self.reserved_usd += estimate_usd
        return estimate_usd

    def reserve_call(self) -> None:
        """Book one call without waiting (no cost estimate); for callers off the gateway loop."""
        self._check()
        self.calls += 1

    async def settle(self, estimate_usd: float, cost: float | None) -> None:
        """A reserved call finished (cost None: unknown price, or the call failed before a reply)."""
        async with self._settled:
            self._open -= 1
            self.reserved_usd = max(0.0, self.reserved_usd - estimate_usd)
            self.add_cost(cost)
            self._settled.notify_all()

    def _check(self) -> None:
        if self.max_calls is not None and self.calls >= self.max_calls:
            raise BudgetExceeded(f"LLM call budget reached: {self.calls} calls made, --max-calls "
                                 f"{self.max_calls}; completed work is kept (re-run with a higher budget: "
                                 "cached calls are free)")
        if self.max_usd is not None and self.cost_usd + self.reserved_usd >= self.max_usd:
            raise BudgetExceeded(f"LLM cost budget reached: ${self.cost_usd:.4f} spent, --max-usd "
                                 f"{self.max_usd:g}; completed work is kept (re-run with a higher budget: "
                                 "cached calls are free)")

    def add_cost(self, cost: float | None) -> None:
        if cost is None:
            self.unknown_cost_calls += 1
        else:
            self.cost_usd += cost


def parse_item_error_limit(value: int | float | str) -> int | float:
    """`settings.llm.max_item_errors` as a count (int) or a fraction (float below 1): 3, 0.1, '10%'."""
    if isinstance(value, bool):
        raise ValueError("max_item_errors must be a count (3), a fraction (0.1) or a percentage ('10%')")
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            raise ValueError(f"max_item_errors '{value}' is not a count (3), a fraction (0.1) or a percentage "
                             "('10%')") from None
        value = number if text.endswith("%") or number < 1 else int(number)
    if value < 0:
        raise ValueError("max_item_errors must be 0 or more")
    if isinstance(value, float) and value >= 1:
        if value != int(value):
            raise ValueError(f"max_item_errors {value:g}: a count must be a whole number, a fraction below 1")
        return int(value)
    return value


def allowed_item_errors(limit: int | float, total: int | None) -> int | None:
    """How many item errors a node of `total` items tolerates (None: not known until the total is)."""
    if isinstance(limit, int):
        return limit
    if total is None:
        return None
    return int(limit * total)
