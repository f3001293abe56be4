"""Sharding of item-mapping ops (docs/parallel.md): one node's items split into shards that run as tasks.

An op that maps over items subclasses `MapsItems` (compiler/mapping.py) and names the input whose items it
maps (`shard_input`). Its work is three steps, and its `run` is exactly them in order (`run_mapped`):

- `prepare(ctx, inputs) -> (items, shared)`: the list of items to map (e.g. the rendered prompts, the chunks
  after re-splitting) and whatever the join or every item needs computed over all items (e.g. an IDF table);
- `map_items(ctx, items, shared, inputs)`: one result per item, in item order (a list, or an array whose rows
  are the items);
- `join_items(ctx, items, results, shared, inputs)`: the op's outputs from all items and their results
  (metrics, per-item rows through `ctx.record_items`, merging).

With `settings.shards` above 1 the executor runs `map_items` once per shard of contiguous items (shard sizes a
multiple of the op's `shard_align`, e.g. an embedder's batch size), concurrently, then concatenates the results
in item order and calls `join_items` once: the node key and the stored result are those of an unsharded run.
Shards run as tasks on the run's event loop (their CPU work in threads, their LLM calls through the gateway),
or as Ray tasks with `settings.node_backend: ray` for ops with `shard_remote = True`. Progress counts shards.
Per-item errors of every shard are the node's (`settings.llm.max_item_errors` applies to the node's items).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from .context import RunContext
from .mapping import MapsItems, ShardContext


def shard_count(setting: int | str, n_items: int, align: int) -> int:
    """How many shards for `n_items` items: `settings.shards` (an int, or `auto`: the machine's cores), at most
    one per `align` items."""
    wanted = (os.cpu_count() or 1) if setting == "auto" else int(setting)
    return max(1, min(wanted, -(-n_items // max(align, 1))))


def split(n_items: int, shards: int, align: int) -> list[tuple[int, int]]:
    """Contiguous (start, end) ranges covering the items, sizes as equal as `align` allows."""
    blocks = -(-n_items // align)
    bounds, start = [], 0
    for i in range(shards):
        end = min(n_items, (blocks * (i + 1) // shards) * align)
        if end > start:
            bounds.append((start, end))
        start = end
    return bounds


def concat(parts: list[Any]) -> Any:
    """Shard results joined in item order: arrays by rows, lists by concatenation."""
    if parts and hasattr(parts[0], "shape"):
        import numpy as np

        return np.concatenate(parts, axis=0)
    return [r for part in parts for r in part]


def wants_shards(op: Any, settings: Any) -> bool:
    return isinstance(op, MapsItems) and settings.shards != 1


async def run_sharded(op: MapsItems, ctx: RunContext, inputs: dict[str, Any], settings: Any) -> dict[str, Any]:
    """The op's outputs, its items mapped shard by shard (see the module docstring)."""
    items, shared = op.prepare(ctx, inputs)
    align = max(1, op.shard_align(inputs))
    bounds = split(len(items), shard_count(settings.shards, len(items), align), align)
    ctx.items_total = len(items)  # the per-item error policy counts the node's items
    if len(bounds) < 2:
        return op.join_items(ctx, items, await op.map_items(ctx, items, shared, inputs), shared, inputs)
    remote = settings.node_backend == "ray" and op.shard_remote
    done = 0
    report = ctx.runtime.on_progress

    async def one(start: int, end: int) -> Any:
        nonlocal done
        if remote:
            from .backends.nodes import map_on_ray

            result = await map_on_ray(op, ctx, items[start:end], shared, inputs)
        else:
            result = await op.map_items(ShardContext(ctx), items[start:end], shared, inputs)
        done += 1
        if report:
            report(ctx.node, done, len(bounds))
        return result

    if report:
        report(ctx.node, 0, len(bounds))
    tasks = [asyncio.ensure_future(one(s, e)) for s, e in bounds]
    try:
        parts = await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    outputs = op.join_items(ctx, items, concat(parts), shared, inputs)
    ctx.items_done, ctx.items_total = len(items), len(items)
    return outputs
