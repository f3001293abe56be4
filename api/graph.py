"""`pipec.load(path) -> Graph`, `Graph.run(...) -> Run` and `pipec.open_store(path)`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import wrapped

StoreArg = Any  # a Store, a store folder (str or Path), or None for no store (no memoization)


def overrides_of(values: Mapping[str, Any] | None) -> list[tuple[list[str], Any]]:
    """`set={"top_k": 3, "retrieve.hops": 2}` as the compiler's overrides (same paths as `--set`)."""
    return [(str(path).split("."), value) for path, value in (values or {}).items()]


@wrapped
def load(path: str | Path, set: Mapping[str, Any] | None = None, *, registry: Any = None) -> Graph:  # noqa: A002
    """Compile and validate a pipeline YAML; `set` overrides parameters like `pipe run --set`."""
    from pipec.compiler.compile import compile_file
    from pipec.compiler.errors import UsageError

    if not Path(path).is_file():
        raise UsageError(f"no such file: {path}")
    return Graph(compile_file(path, overrides_of(set), registry))


@wrapped
def open_store(path: str | Path = ".pipe", readonly: bool = True) -> Any:
    """The run store at `path` (read-only by default): `list_runs()`, `get_run(id)`, `node_runs(id)`,
    `run_metrics(id)`; studies through `pipec.tuning.studies(store)`."""
    from pipec.compiler.store import Store

    return Store(path, readonly=readonly)


@contextmanager
def store_for(store: StoreArg) -> Iterator[Any]:
    """A usable store for `store`, closed afterwards when this opened it."""
    from pipec.compiler.store import Store

    if store is None or not isinstance(store, (str, Path)):
        yield store
        return
    opened = Store(store)
    try:
        yield opened
    finally:
        opened.close()


@dataclass
class Run:
    """One finished run: status, outputs (Python values), metrics, per-node results, LLM calls and cost."""

    run_id: str
    status: str
    outputs: dict[str, Any]
    metrics: dict[str, dict[str, float]]
    nodes: dict[str, Any]  # node -> NodeResult (status, cache_hit, duration_s, error, warnings)
    llm_calls: int
    cost_usd: float
    duration_s: float
    error: str | None
    result: Any  # the executor's RunResult

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    def to_json(self) -> dict[str, Any]:
        """What `pipe run --json` prints."""
        return self.result.to_json()

    @classmethod
    def from_result(cls, result: Any) -> Run:
        return cls(result.run_id, result.status, result.outputs, result.metrics, result.nodes, result.llm_calls,
                   result.cost_usd, result.duration_s, result.error, result)


class Graph:
    """A compiled, validated pipeline."""

    def __init__(self, compiled: Any):
        self.compiled = compiled

    def __repr__(self) -> str:
        return f"<pipec.Graph {self.name!r}: {len(self.nodes)} nodes, inputs {list(self.inputs) or 'none'}>"

    @property
    def name(self) -> str:
        return self.compiled.name

    @property
    def file(self) -> str:
        return self.compiled.file

    @property
    def nodes(self) -> list[str]:
        return list(self.compiled.nodes)

    @property
    def inputs(self) -> dict[str, str]:
        """Request inputs: name -> port type."""
        return dict(self.compiled.request_inputs)

    @property
    def outputs(self) -> dict[str, str]:
        """Named outputs: name -> `node.port`."""
        return {k: str(r) for k, r in self.compiled.outputs.items()}

    @property
    def static_nodes(self) -> list[str]:
        return self.compiled.static_nodes

    @property
    def request_nodes(self) -> list[str]:
        return self.compiled.request_nodes

    @wrapped
    def run(self, store: StoreArg = ".pipe", inputs: Mapping[str, Any] | None = None, *, use_cache: bool = True,
            force: list[str] | tuple[str, ...] = (), max_usd: float | None = None,
            max_calls: int | None = None) -> Run:
        """Run the graph (memoized in `store`); `inputs` are the request inputs when the graph declares any."""
        from pipec.compiler.request_executor import RequestExecutor

        settings = self.compiled.spec.settings
        budgets = {k: v for k, v in (("max_usd", max_usd), ("max_calls", max_calls)) if v is not None}
        if budgets:
            settings = settings.model_copy(update={"llm": settings.llm.model_copy(update=budgets)})
        with store_for(store) as opened:
            executor = RequestExecutor(self.compiled, opened, inputs=dict(inputs or {}), use_cache=use_cache,
                                       force=force, settings=settings)
            return Run.from_result(executor.run())

    @wrapped
    def session(self, store: Any = ".pipe", *, max_usd_per_request: float | None = None) -> Session:
        """Compute (or find memoized) the static part once and keep its values in memory, for many requests:
        what `pipe serve` does, without HTTP. `store` is an open Store or a folder (opened until `close()`;
        the session is also a context manager)."""
        from pipec.compiler.store import Store
        from pipec.serve.service import Service

        opened = Store(store) if isinstance(store, (str, Path)) else store
        service = Service(self.compiled, opened, max_usd_per_request=max_usd_per_request)
        try:
            service.start()
        except BaseException:
            if opened is not store:
                opened.close()
            raise
        return Session(service, owns_store=opened is not store)

    def to_mermaid(self, run: Any = None) -> str:
        from pipec.compiler.pictures import to_mermaid

        return to_mermaid(self.compiled, run)

    def to_dot(self, run: Any = None) -> str:
        from pipec.compiler.pictures import to_dot

        return to_dot(self.compiled, run)


class Session:
    """A graph's static part held in memory; each `run(inputs)` answers one request (stored as a run)."""

    def __init__(self, service: Any, owns_store: bool = False):
        self.service = service
        self._owns_store = owns_store

    @property
    def static_run_id(self) -> str:
        return self.service.static_run.run_id

    def close(self) -> None:
        """Close the store the session opened (a Store passed in is left to its owner)."""
        if self._owns_store:
            self.service.store.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def run(self, inputs: Mapping[str, Any]) -> Run:
        import asyncio

        return asyncio.run(self.arun(inputs))

    async def arun(self, inputs: Mapping[str, Any]) -> Run:
        """The same, awaitable: concurrent requests on one event loop (as the server runs them)."""
        from pipec.compiler.errors import PipeError

        from .errors import PipecError

        try:
            result, _ = await self.service.answer(dict(inputs))
        except PipecError:
            raise
        except PipeError as exc:
            raise PipecError(exc) from exc
        return Run.from_result(result)
