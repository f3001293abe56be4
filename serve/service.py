"""One served graph: the static part computed (or found memoized) once at start, then one run per request.

Requests run concurrently on the server's event loop (plain ops in worker threads, LLM calls through each
run's gateway with its limits); each is a run in the store whose id ends in `-req` (`pipe runs --served`),
with its LLM calls, cost and, when the request carries gold answers, its metrics. Nothing of a request is a
file path: a request supplies input values only, never parameters, so it cannot make the graph read a file.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from pipec.compiler.errors import PipeError, UsageError
from pipec.compiler.executor import RunResult
from pipec.compiler.graph import CompiledGraph
from pipec.compiler.inputs import new_request_id
from pipec.compiler.preview import to_jsonable
from pipec.compiler.request_executor import RequestExecutor, prepare_static


class ServiceError(PipeError):
    """The graph cannot be served (its static part failed)."""

    exit_code = 1


class Service:
    def __init__(self, graph: CompiledGraph, store: Any, *, max_usd_per_request: float | None = None,
                 max_calls_per_request: int | None = None):
        if not graph.request_inputs:
            raise UsageError(f"{graph.file} declares no request inputs: add an 'inputs:' section (e.g. "
                             "inputs: {question: {type: Question}}) and reference it from a node (docs/api.md)")
        self.graph = graph
        self.store = store
        self.settings = self._request_settings(max_usd_per_request, max_calls_per_request)
        self.static_run: RunResult | None = None
        self.static_values: dict[str, dict[str, Any]] = {}
        self.started_at = time.time()
        self._count_lock = threading.Lock()
        self.requests = 0
        self.failures = 0

    def _request_settings(self, max_usd: float | None, max_calls: int | None):
        settings = self.graph.spec.settings
        budgets = {k: v for k, v in (("max_usd", max_usd), ("max_calls", max_calls)) if v is not None}
        if budgets:
            settings = settings.model_copy(update={"llm": settings.llm.model_copy(update=budgets)})
        return settings

    def start(self) -> RunResult:
        """Compute (or find memoized) the static part; raises ServiceError when it fails."""
        result, values = prepare_static(self.graph, self.store)
        if result.status != "succeeded":
            raise ServiceError(f"the static part of {self.graph.name} did not succeed ({result.status}): "
                               f"{result.error}; see 'pipe show {result.run_id}'")
        self.static_run, self.static_values = result, values
        return result

    async def answer(self, inputs: dict[str, Any]) -> tuple[RunResult, dict[str, Any]]:
        """Run one request; returns the run and its JSON body."""
        executor = RequestExecutor(self.graph, self.store, inputs=inputs, static_values=self.static_values,
                                   run_id=new_request_id(), settings=self.settings)
        result = await executor.run_async()
        with self._count_lock:
            self.requests += 1
            self.failures += result.status != "succeeded"
        return result, response_body(result)

    def health(self) -> dict[str, Any]:
        return {"status": "ok", "graph": self.graph.name, "inputs": dict(self.graph.request_inputs),
                "outputs": list(self.graph.outputs), "static_run": self.static_run.run_id if self.static_run else None,
                "requests": self.requests, "failed_requests": self.failures,
                "uptime_s": round(time.time() - self.started_at, 3)}


def response_body(result: RunResult) -> dict[str, Any]:
    return {
        "run_id": result.run_id, "status": result.status, "error": result.error,
        "outputs": to_jsonable(result.outputs), "metrics": result.metrics,
        "llm_calls": result.llm_calls, "cost_usd": result.cost_usd, "duration_s": round(result.duration_s, 4),
        "nodes_run": sorted(n for n, r in result.nodes.items() if r.status == "succeeded"),
    }
