"""`settings.node_backend: ray`: each ready node of a run whose op runs in a worker thread (a plain `run`, not
async, not inline) runs as a Ray task instead, with the op's CPU hint (`num_cpus` on the op class, default 1).

The task gets the op class, its parameters and its input values through Ray's object store and returns the
outputs with the per-item rows, progress and warnings the op recorded; the executor on the driver stores them
(the driver stays the only writer). A node task has no run store: an op that reads the LLM-response or
embedding cache through `ctx` sees none there. Async ops (the LLM ops) and inline ops stay on the driver.
Without a Ray instance in this process, a local one bound to 127.0.0.1 starts (or RAY_ADDRESS is joined).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import Any


@dataclass
class NodeTask:
    op_cls: Any
    params: Any
    inputs: dict[str, Any]
    base_dir: Any
    node: str
    cache_key: str
    run_id: str
    settings: Any


def run_node(task: NodeTask) -> tuple[dict[str, Any], list, int, int | None, list[str]]:
    from pipec.compiler.context import RunContext, Runtime

    runtime = Runtime(run_id=task.run_id, base_dir=task.base_dir, store=None, settings=task.settings)
    ctx = RunContext(runtime, task.node, task.cache_key)
    outputs = task.op_cls(task.params).run(ctx, **task.inputs)
    return outputs, ctx.items, ctx.items_done, ctx.items_total, ctx.warnings


_remote: Any = None


def ensure_ray() -> Any:
    from .ray_backend import import_ray

    ray = import_ray()
    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS")
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False,
                     _temp_dir=tempfile.mkdtemp(prefix="pipec-ray-"))
    return ray


async def _result(ray: Any, ref: Any) -> Any:
    """A task's return value; cancelling the await cancels the task, and the op's own exception is raised."""
    import asyncio

    try:
        return await ref
    except asyncio.CancelledError:
        ray.cancel(ref, force=True)
        raise
    except ray.exceptions.RayTaskError as exc:
        cause = exc.as_instanceof_cause()
        raise (cause.cause if getattr(cause, "cause", None) is not None else cause) from None


async def run_on_ray(node: Any, ctx: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    """Run `node`'s op on `inputs` as a Ray task; the op's own exception is raised here if it fails."""
    global _remote

    ray = ensure_ray()
    if _remote is None:
        _remote = ray.remote(max_retries=0)(run_node)
    runtime = ctx.runtime
    task = NodeTask(node.op_cls, node.params, inputs, runtime.base_dir, node.name, ctx.cache_key, runtime.run_id,
                    runtime.settings)
    ref = _remote.options(num_cpus=getattr(node.op_cls, "num_cpus", 1)).remote(task)
    outputs, items, done, total, warnings = await _result(ray, ref)
    ctx.items.extend(items)
    if done or total is not None:
        ctx.progress(done, total)
    for message in warnings:
        ctx.warn(message)
    return outputs


@dataclass
class ShardTask(NodeTask):
    """A NodeTask for one shard: the shard's items and what `prepare` computed over all items."""

    items: list[Any]
    shared: Any


def shard_task(op: Any, ctx: Any, items: list[Any], shared: Any, inputs: dict[str, Any]) -> ShardTask:
    """One shard's task: its items, and the op's other inputs (the shard input itself, every item of the node,
    is not shipped to each shard: a remote `map_items` reads its items from `items`)."""
    runtime = ctx.runtime
    others = {k: v for k, v in inputs.items() if k != op.shard_input}
    return ShardTask(type(op), op.params, others, runtime.base_dir, ctx.node, ctx.cache_key, runtime.run_id,
                     runtime.settings, items=items, shared=shared)


def map_shard(task: ShardTask) -> tuple[Any, dict[str, str], list[str]]:
    """One shard of an item-mapping op in a Ray worker (compiler/sharding.py): its results, item errors and
    warnings."""
    import asyncio

    from pipec.compiler.context import Runtime
    from pipec.compiler.mapping import ShardContext
    from pipec.compiler.threads import limit_threads

    limit_threads(getattr(task.op_cls, "num_cpus", 1))  # the CPUs the task reserved
    runtime = Runtime(run_id=task.run_id, base_dir=task.base_dir, store=None, settings=task.settings)
    ctx = ShardContext(None, runtime, task.node, task.cache_key)
    op = task.op_cls(task.params)
    results = asyncio.run(op.map_items(ctx, task.items, task.shared, task.inputs))
    return results, dict(ctx.item_errors), list(ctx.warnings)


_shard_remote: Any = None


async def map_on_ray(op: Any, ctx: Any, items: list[Any], shared: Any, inputs: dict[str, Any]) -> Any:
    """Map one shard's items as a Ray task (the op's `num_cpus`); its item errors and warnings are the node's."""
    global _shard_remote

    ray = ensure_ray()
    if _shard_remote is None:
        _shard_remote = ray.remote(max_retries=0)(map_shard)
    task = shard_task(op, ctx, items, shared, inputs)
    ref = _shard_remote.options(num_cpus=getattr(type(op), "num_cpus", 1)).remote(task)
    results, item_errors, warnings = await _result(ray, ref)
    for item, message in item_errors.items():
        ctx.item_failed(item, message)
    for message in warnings:
        ctx.warn(message)
    return results
