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


async def run_on_ray(node: Any, ctx: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    """Run `node`'s op on `inputs` as a Ray task; the op's own exception is raised here if it fails."""
    global _remote
    import asyncio

    ray = ensure_ray()
    if _remote is None:
        _remote = ray.remote(max_retries=0)(run_node)
    runtime = ctx.runtime
    task = NodeTask(node.op_cls, node.params, inputs, runtime.base_dir, node.name, ctx.cache_key, runtime.run_id,
                    runtime.settings)
    ref = _remote.options(num_cpus=getattr(node.op_cls, "num_cpus", 1)).remote(task)
    try:
        outputs, items, done, total, warnings = await ref
    except asyncio.CancelledError:
        ray.cancel(ref, force=True)
        raise
    except ray.exceptions.RayTaskError as exc:
        cause = exc.as_instanceof_cause()
        raise (cause.cause if getattr(cause, "cause", None) is not None else cause) from None
    ctx.items.extend(items)
    if done or total is not None:
        ctx.progress(done, total)
    for message in warnings:
        ctx.warn(message)
    return outputs
