"""The items data model of LLM ops (reusable by any op that renders one prompt per record).

- Items are records: dataclasses (`Question`, `Document`, `Chunk`, `Retrieval`, `Answer`), dicts, or strings.
- A template sees `item` (the record), `index`, `context` (an optional extra input) and the op's `vars`.
- An item's id is its `id`, else `qid`, else `chunk_id` field, else its index as a string.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

TEMPLATE_VARIABLES = ("item", "index", "context")
ID_FIELDS = ("id", "qid", "chunk_id")


def field_of(record: Any, name: str) -> Any:
    if isinstance(record, dict):
        return record.get(name)
    return getattr(record, name, None)


def item_id(record: Any, index: int) -> str:
    for name in ID_FIELDS:
        value = field_of(record, name)
        if value not in (None, ""):
            return str(value)
    return str(index)


def as_items(items: Any) -> list[Any]:
    """The items input as a list (None: one empty item, so an op without items runs once)."""
    if items is None:
        return [None]
    if isinstance(items, (str, bytes, dict)) or dataclasses.is_dataclass(items):
        return [items]
    return list(items)


def template_values(record: Any, index: int, context: Any, constants: dict[str, Any]) -> dict[str, Any]:
    values = dict(constants)
    values.update(item=record, index=index)
    if context is not None:
        values["context"] = context
    return values


def available_variables(constants: Iterable[str]) -> list[str]:
    return sorted(set(TEMPLATE_VARIABLES) | set(constants))


async def run_all(jobs: list[Callable[[], Awaitable[Any]]], on_done: Callable[[int], None] | None = None) -> list[Any]:
    """Run jobs concurrently (the gateway applies the LLM concurrency limits) and return results in order.

    An error that stops the node cancels the other jobs and is raised. A budget stop lets the requests already
    sent finish (they are paid for, and land in the response cache for the next run), then is raised."""
    from pipec.compiler.errors import BudgetExceeded

    tasks = [asyncio.ensure_future(job()) for job in jobs]
    done_count = 0
    try:
        for future in asyncio.as_completed(tasks):
            await future
            done_count += 1
            if on_done is not None:
                on_done(done_count)
    except BudgetExceeded:
        await asyncio.gather(*tasks, return_exceptions=True)  # the rest fail fast: no budget left
        raise
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return [t.result() for t in tasks]
