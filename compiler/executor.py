"""Run a compiled graph: memoized by content, concurrent where the DAG allows, resumable after failure.

1. Every node's cache key is computed up front from the op (name, version, code hash), its parameters, the
   content of files it reads, and the keys of its inputs: keys never depend on values, so a whole plan is known
   before anything runs.
2. Nodes whose key is stored are not run; their results are loaded only when a node that does run needs them
   (or the run must report them).
3. The remaining nodes run as soon as their inputs are ready: coroutine ops on the event loop, plain ops in
   worker threads, `inline` ops directly. A failing node skips its dependents; independent branches go on.
"""

from __future__ import annotations

import asyncio
import signal
import time
import weakref
from typing import Any

from . import collector, signals
from .context import RunContext, Runtime
from .errors import BudgetExceeded, OpError, PipeError
from .graph import CompiledGraph, CompiledNode, InputRef
from .keys import compute_keys, key_params, params_json  # noqa: F401 - importable from here too
from .llm.errors import TooManyItemErrors
from .llm.limits import allowed_item_errors
from .llm.secrets import redact as redact_secrets
from .llm.secrets import register as register_secrets
from .preview import preview_outputs, to_jsonable
from .reporter import NullReporter, Reporter
from .results import NodeResult, RunResult, metric_values, metrics_name, new_run_id
from .sharding import run_sharded, wants_shards
from .spec import Settings
from .store import Store
from .store.codec import CorruptValue, UnstorableValue, allow_pickle_for

DRAIN_GRACE_S = 10.0  # at most this long, at the end of a run, for LLM replies of failed nodes


class Executor:
    def __init__(self, graph: CompiledGraph, store: Store | None, *, use_cache: bool = True,
                 force: list[str] | tuple[str, ...] = (), reporter: Reporter | None = None,
                 run_id: str | None = None, use_llm_cache: bool = True, settings: Settings | None = None,
                 study_id: str | None = None, trial_number: int | None = None):
        self.graph = graph
        self.store = store
        self.use_cache = use_cache and store is not None
        self.force = set(force)
        self.reporter = reporter or NullReporter()
        self.run_id = run_id or new_run_id()
        self.settings = settings or graph.spec.settings
        self.study_id, self.trial_number = study_id, trial_number
        self.runtime = Runtime(run_id=self.run_id, base_dir=graph.base_dir, store=store, settings=self.settings,
                               use_llm_cache=use_llm_cache, on_progress=self._on_progress,
                               on_warning=self._on_warning)
        self.results: dict[str, NodeResult] = {}
        self._values: dict[str, dict[str, Any]] = {}
        self._hits: dict[str, Any] = {}  # key -> CacheHit of the plan's memoized results
        self._metrics: dict[str, dict[str, float]] = {}
        self._stop_launching = False
        self._partial_nodes: set[str] = set()
        self._status = "succeeded"
        self._error: str | None = None

    # --- entry points ---------------------------------------------------------------------------------------
    def run(self) -> RunResult:
        # The result travels outside the main task: on Python 3.11 asyncio.run's SIGINT-handler restore reprs
        # the finished task, and with it a RunResult of every node (0.15 s per call at 10,000 nodes).
        out: list[RunResult] = []

        async def main() -> None:
            out.append(await self.run_async())

        asyncio.run(main())
        return out[0]

    async def run_async(self) -> RunResult:
        started = time.perf_counter()
        register_secrets(self.graph.secrets)  # redacted from every error printed (the store redacts too)
        if self.store is not None:
            self.store.add_secrets(self.graph.secrets)
        # The plan allocates a few objects per node and no cycles: with the collector on, its full collections
        # walk the compiled graph's heap (up to ~0.1 s of a 0.3-0.5 s cached 10,000-node re-run).
        with collector.paused():
            keys = compute_keys(self.graph, self.runtime)
            to_run = self._plan(keys)
            self._record_start(keys)
        self.reporter.run_started(self.graph, self.results)
        try:
            with signals.running(asyncio.current_task()):
                await self._execute(to_run)
        except asyncio.CancelledError:
            signum = signals.received()
            self._interrupt("interrupted by the user" if signum != signal.SIGTERM else "terminated (SIGTERM)")
            self._finish(started)
            if signum is not None:
                raise KeyboardInterrupt from None  # out of asyncio.run, to the command (exit 130/143)
            raise
        await self._drain_llm_requests()
        return self._finish(started)

    async def _drain_llm_requests(self) -> None:
        """Requests already sent when their node failed are paid for: wait (a bounded time) for their replies
        to reach the response cache, so the next run need not send them again."""
        gateway = self.runtime.started_gateway
        if gateway is None or not gateway.in_flight:
            return
        from .llm import loop

        await loop.run_async(gateway.drain(min(self.settings.llm.timeout, DRAIN_GRACE_S)))

    # --- planning -------------------------------------------------------------------------------------------
    def plan(self) -> tuple[dict[str, str], set[str], list[str]]:
        """The run's plan without running anything: every node's key, the nodes that must run, and the
        memoized nodes whose values those need (a parallel study ships them to the worker that runs it)."""
        keys = compute_keys(self.graph, self.runtime)
        to_run = self._plan(keys)
        return keys, to_run, self._cached_values_needed(to_run)

    def _plan(self, keys: dict[str, str]) -> set[str]:
        graph = self.graph
        forced = graph.downstream_of(sorted(self.force)) if self.force else set()
        # One lookup gives the plan and the cached node rows (preview, size) that _record_start writes.
        cached = self._hits = self.store.cache_hits(keys.values()) if self.use_cache else {}
        to_run = set()
        for name in graph.order:
            node = graph.nodes[name]
            result = NodeResult(name, node.op_name, keys[name])
            self.results[name] = result
            if node.cache and keys[name] in cached and name not in forced:
                result.status, result.cache_hit = "cached", True
            else:
                to_run.add(name)
        return to_run

    def _record_start(self, keys: dict[str, str]) -> None:
        if self.store is None:
            return
        self.store.reap_dead_runs()
        self.store.create_run(self.run_id, self.graph.name, self.graph.file, self.graph.config,
                              len(self.graph.nodes), self.study_id, self.trial_number)
        self.store.add_nodes(self.run_id, [
            (n, node.op_name, node.op_cls.version, keys[n], params_json(node),
             self.results[n].cache_hit)
            for n, node in self.graph.nodes.items()
        ], hits=self._hits)

    # --- execution ------------------------------------------------------------------------------------------
    async def _execute(self, to_run: set[str]) -> None:
        graph = self.graph
        needed_cached = self._cached_values_needed(to_run)
        while needed_cached:  # a stored result that fails verification is a miss: its node runs again
            loaded = await asyncio.gather(*(self._load_cached(n) for n in needed_cached))
            lost = [n for n, ok in zip(needed_cached, loaded, strict=True) if ok is False]
            to_run.update(lost)
            needed_cached = [n for n in self._cached_values_needed(to_run) if n not in self._values] if lost else []
        waiting = {n: sum(1 for p in graph.predecessors(n) if p in to_run) for n in to_run}
        limit = asyncio.Semaphore(self.settings.max_concurrent_nodes)
        done_event = asyncio.Event()
        pending = len(to_run)
        tasks: set[asyncio.Task] = set()

        def launch(name: str) -> None:
            task = asyncio.ensure_future(run_one(name))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        async def run_one(name: str) -> None:
            nonlocal pending
            if not self._stop_launching and self._inputs_ok(name):
                async with limit:
                    await self._run_node(graph.nodes[name])
            elif self.results[name].status == "pending":
                self._mark(name, "skipped")
            for child in graph.successors(name):
                if child in waiting:
                    waiting[child] -= 1
                    if waiting[child] == 0:
                        launch(child)
            pending -= 1
            if pending == 0:
                done_event.set()

        if not to_run:
            return
        for name in graph.order:
            if name in to_run and waiting[name] == 0:
                launch(name)
        try:
            await done_event.wait()
        except asyncio.CancelledError:
            for t in list(tasks):
                t.cancel()
            raise

    def _cached_values_needed(self, to_run: set[str]) -> list[str]:
        graph = self.graph
        needed = set()
        for name in to_run:
            needed |= {r.node for r in graph.nodes[name].upstream() if r.node not in to_run}
        needed |= {r.node for r in graph.outputs.values() if r.node not in to_run}
        for name, node in graph.nodes.items():
            if name not in to_run and has_metrics(node.op_cls):
                needed.add(name)
        return sorted(needed)

    async def _load_cached(self, name: str) -> bool:
        """Load a memoized result; False (with a warning naming the node) when it is missing or fails its
        hash check, after which the node is planned to run again."""
        result = self.results[name]
        try:
            values = await asyncio.to_thread(self.store.load_result, result.key)
        except (CorruptValue, KeyError) as exc:
            reason = exc.args[0] if isinstance(exc, CorruptValue) else "the stored entry is gone"
            result.status, result.cache_hit = "pending", False
            if self.store is not None:
                self.store.update_node(self.run_id, name, cache_hit=False)
            self._on_warning(name, f"the stored result of node '{name}' cannot be used ({reason}); "
                                   "recomputing it")
            return False
        self._values[name] = values
        self._record_metrics(self.graph.nodes[name], values)
        return True

    def _inputs_ok(self, name: str) -> bool:
        return all(r.node in self._values for r in self.graph.nodes[name].upstream())

    def _gather_inputs(self, node: CompiledNode) -> dict[str, Any]:
        def value(ref: InputRef) -> Any:
            return self._values[ref.node][ref.port]

        return {port: [value(r) for r in ref] if isinstance(ref, list) else value(ref)
                for port, ref in node.inputs.items()}

    async def _run_node(self, node: CompiledNode) -> bool:
        result = self.results[node.name]
        ctx = RunContext(self.runtime, node.name, result.key, llm_cache=node.cache)
        result.status = "running"
        self.reporter.node_started(node.name)
        if self.store is not None:
            self.store.update_node(self.run_id, node.name, status="running", started_at=time.time())
        t0 = time.perf_counter()
        try:
            op = node.op_cls(node.params)
            inputs = self._gather_inputs(node)
            if wants_shards(op, self.settings):
                outputs = await run_sharded(op, ctx, inputs, self.settings)
            elif node.op_cls.is_async():
                outputs = await op.run(ctx, **inputs)
            elif node.op_cls.inline:
                outputs = op.run(ctx, **inputs)
            elif self.settings.node_backend == "ray":
                from .backends.nodes import run_on_ray

                outputs = await run_on_ray(node, ctx, inputs)
            else:
                outputs = await asyncio.to_thread(op.run, ctx, **inputs)
            self._check_outputs(node, outputs)
            self._check_item_errors(ctx)
            result.duration_s = time.perf_counter() - t0
            await self._save(node, ctx, outputs)
        except asyncio.CancelledError:
            result.duration_s = time.perf_counter() - t0
            self._mark(node.name, "interrupted", error="interrupted")
            raise
        except BudgetExceeded as exc:
            result.duration_s = time.perf_counter() - t0
            self._stop_launching = True
            self._status, self._error = "budget_exceeded", str(exc)
            self._mark(node.name, "failed", error=str(exc))
            return False
        except Exception as exc:  # an op failing is reported, never crashes the run
            result.duration_s = time.perf_counter() - t0
            message = str(exc) if isinstance(exc, PipeError) else f"{type(exc).__name__}: {exc}"
            message = redact_secrets(message)
            if self._status == "succeeded":
                self._status = "failed"
                self._error = str(OpError(node.name, node.op_name, message))
            self._mark(node.name, "failed", error=message)
            return False
        self._values[node.name] = outputs
        result.items_done, result.items_total = ctx.items_done or None, ctx.items_total
        self._mark(node.name, "succeeded")
        if result.item_errors and self.store is not None:  # the node row says which items failed (TUI, pipe show)
            self.store.update_node(self.run_id, node.name, error=redact_secrets(ctx.item_error_summary()))
        return True

    def _check_outputs(self, node: CompiledNode, outputs: Any) -> None:
        expected = set(node.op_cls.outputs)
        if not isinstance(outputs, dict) or set(outputs) != expected:
            got = sorted(outputs) if isinstance(outputs, dict) else type(outputs).__name__
            raise PipeError(f"op {node.op_name} returned {got}, expected a dict with outputs {sorted(expected)} "
                            "(a bug in the op)")

    def _check_item_errors(self, ctx: RunContext) -> None:
        """Item errors fail the node once more items failed than `settings.llm.max_item_errors` allows; fewer
        make the node partial: its result is kept for this run but not memoized, nor any result built on it."""
        if not ctx.item_errors:
            return
        limit = self.settings.llm.max_item_errors
        allowed = allowed_item_errors(limit, ctx.items_total)
        if len(ctx.item_errors) > (allowed if allowed is not None else 0):
            raise TooManyItemErrors(ctx.item_error_summary(limit))
        result = self.results[ctx.node]
        result.item_errors = dict(ctx.item_errors)
        self._on_warning(ctx.node, ctx.item_error_summary() + " (not memoized: the next run re-sends them)")

    def _partial(self, node: CompiledNode) -> bool:
        """Whether this node's result rests on an item error (its own, or an upstream node's of this run)."""
        if self.results[node.name].item_errors:
            return True
        return any(self.results[r.node].item_errors or r.node in self._partial_nodes for r in node.upstream())

    async def _save(self, node: CompiledNode, ctx: RunContext, outputs: dict[str, Any]) -> None:
        result = self.results[node.name]
        self._record_metrics(node, outputs)
        partial = self._partial(node)
        if partial:
            self._partial_nodes.add(node.name)
        if self.store is None:
            return
        preview = preview_outputs(outputs)
        size = None
        if node.cache and not partial:
            save = self.store.save_result
            args = (result.key, node.op_name, node.name, outputs, preview, ctx.items)
            if getattr(node.op_cls, "pickle_results", False):
                allow_pickle_for(node.op_name)
            try:
                size = save(*args) if node.op_cls.inline else await asyncio.to_thread(save, *args)
            except UnstorableValue as exc:  # the node succeeded; its result is just not memoized
                self._on_warning(node.name, f"result not memoized: {exc} (the op may set pickle_results = True)")
        self.store.update_node(self.run_id, node.name, output_preview=preview, output_size=size,
                               items_done=ctx.items_done or None, items_total=ctx.items_total)

    def _record_metrics(self, node: CompiledNode, outputs: dict[str, Any]) -> None:
        for port, spec in node.op_cls.outputs.items():
            if spec.type == "Metrics" and isinstance(outputs.get(port), dict):
                self.metrics_for(node.name, port, outputs[port])

    def metrics_for(self, node: str, port: str, values: dict[str, Any]) -> None:
        clean = metric_values(values)
        self._metrics.setdefault(metrics_name(node, port), {}).update(clean)
        if self.store is not None:
            self.store.record_metrics(self.run_id, node, port, clean)

    def _mark(self, name: str, status: str, error: str | None = None) -> None:
        result = self.results[name]
        result.status = status
        result.error = error
        self.reporter.node_finished(name, result)
        if self.store is not None:
            self.store.update_node(self.run_id, name, status=status, error=error, ended_at=time.time(),
                                   duration_s=result.duration_s)
            if status in ("failed", "interrupted"):
                self.store.flush()  # failures are durable at once

    def _on_progress(self, node: str, done: int, total: int | None) -> None:
        self.reporter.node_progress(node, done, total)

    def _on_warning(self, node: str, message: str) -> None:
        self.results[node].warnings.append(message)
        self.reporter.node_warning(node, message)

    def _interrupt(self, reason: str) -> None:
        self.runtime.cancelled.set()
        self._status, self._error = "interrupted", reason
        for name, r in self.results.items():
            if r.status == "running":
                self._mark(name, "interrupted", error=reason)
            elif r.status == "pending":
                self._mark(name, "skipped")

    # --- finishing ------------------------------------------------------------------------------------------
    def _finish(self, started: float) -> RunResult:
        outputs = {}
        for key, ref in self.graph.outputs.items():
            if ref.node in self._values:
                outputs[key] = self._values[ref.node][ref.port]
        gateway = self.runtime.started_gateway
        llm_calls = getattr(gateway, "calls_made", 0) if gateway else 0
        cost = getattr(gateway, "cost_usd", 0.0) if gateway else 0.0
        metrics = self._metrics_in_node_order()
        result = RunResult(self.run_id, self._status, self.results, outputs, metrics,
                           time.perf_counter() - started, self._error, llm_calls, cost)
        if self.store is not None:
            self.store.finish_run(
                self.run_id, self._status, self._error,
                nodes_cached=result.cache_hits,
                nodes_failed=sum(1 for r in self.results.values() if r.status == "failed"),
                llm_calls=llm_calls, cost_usd=cost, metrics=metrics, outputs=to_jsonable(outputs, limit=50),
            )
        self.reporter.run_finished(result)
        return result


    def _metrics_in_node_order(self) -> dict[str, dict[str, float]]:
        """Metrics keyed `node` or `node.port`, in the order the YAML declares the nodes: nodes that ran
        concurrently recorded theirs in whichever order they finished, and the stored run, `--json` and the TUI
        must not depend on that."""
        rank = {name: i for i, name in enumerate(self.graph.nodes)}
        return dict(sorted(self._metrics.items(), key=lambda kv: (rank.get(kv[0].split(".", 1)[0], len(rank)), kv[0])))


_metric_ops: weakref.WeakKeyDictionary[type, bool] = weakref.WeakKeyDictionary()


def has_metrics(op_cls: type) -> bool:
    """Whether the op has an output of type Metrics (asked for every node of a plan: memoized per op class)."""
    found = _metric_ops.get(op_cls)
    if found is None:
        found = _metric_ops[op_cls] = any(o.type == "Metrics" for o in op_cls.outputs.values())
    return found
