"""Where runs execute: `local` (worker processes on this machine) or `ray` (tasks on a Ray cluster).

A backend runs a picklable function on a picklable argument somewhere else and hands back a
`concurrent.futures.Future`. A future fails with `WorkerLost` when the process or node running it died (the
caller may retry), and with `TaskFailed` when the function raised.
"""

from __future__ import annotations

import os
from concurrent.futures import Future
from typing import Any, Protocol

BACKENDS = ("local", "ray")


class WorkerLost(Exception):
    """The worker process or node died before returning a result."""


class TaskFailed(Exception):
    """The task raised; the message holds the worker's traceback."""


class Backend(Protocol):
    name: str
    workers: int

    def submit(self, fn: Any, arg: Any, num_cpus: float = 1, on_partial: Any = None) -> Future: ...

    def cancel(self, future: Future) -> None: ...

    def close(self) -> None: ...


_partial_sink: Any = None


def set_partial_sink(sink: Any) -> None:
    """In a worker (a local worker process, a Ray streaming task): where `partial_sink()` sends values to the
    driver before the task ends; None: nowhere."""
    global _partial_sink
    _partial_sink = sink


def partial_sink() -> Any:
    """A callable that sends a value to the driver at once (the task's `on_partial`), or None where the task
    cannot stream (in-process, a Ray task without on_partial): its values then come back with the result only."""
    return _partial_sink


def take_partial(on_partial: Any, value: Any) -> str | None:
    """Hand a task's partial value to the driver's `on_partial`; the error text when it raised (the task then
    fails once its result is in, so that the worker's stream stays in step)."""
    import traceback

    try:
        on_partial(value)
    except Exception as exc:
        return f"the driver could not take a partial value: {type(exc).__name__}: {exc}\n{traceback.format_exc()}"
    return None


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def make_backend(name: str, workers: int | None = None, address: str | None = None,
                 preload: tuple[str, ...] = ()) -> Backend:
    """preload: modules local workers import once, before their first task (the ops of a study's graph)."""
    from pipec.compiler.errors import UsageError

    if name == "local":
        from .local import LocalBackend

        return LocalBackend(workers or default_workers(), preload)
    if name == "ray":
        from .ray_backend import RayBackend

        return RayBackend(workers, address)
    raise UsageError(f"unknown backend '{name}'; choose {' or '.join(BACKENDS)}")
