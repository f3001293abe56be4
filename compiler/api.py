"""A small Python API over the compiler, for tests, notebooks, benchmarks and `pipe tune`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .compile import Override, compile_file, compile_text
from .executor import Executor, RunResult
from .graph import CompiledGraph
from .registry import Registry
from .store import Store

__all__ = ["compile_file", "compile_text", "run_graph", "run_file", "CompiledGraph", "RunResult", "Store"]


def run_graph(graph: CompiledGraph, store: Store | str | Path | None = ".pipe", **executor_args: Any) -> RunResult:
    """Run a compiled graph. `store` is a Store, a store folder, or None for no store (no memoization)."""
    own = not isinstance(store, Store) and store is not None
    store_obj = Store(store) if own else store
    try:
        return Executor(graph, store_obj, **executor_args).run()
    finally:
        if own:
            store_obj.close()


def run_file(path: str | Path, overrides: Iterable[Override] = (), store: Store | str | Path | None = ".pipe",
             registry: Registry | None = None, **executor_args: Any) -> RunResult:
    return run_graph(compile_file(path, overrides, registry), store, **executor_args)
