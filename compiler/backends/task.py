"""What a worker runs: one graph run (a trial) against a JournalStore, returned to the driver with its journal.

A `GraphTask` carries everything by value: the compiled graph, the keys already memoized and the values of
those the run needs. The worker never writes the run store; the driver replays the returned journal. A
worker (a local one, or a Ray streaming task) sends each memoized result to the driver as soon as it is
computed (`partial_sink`), the rest with the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class GraphTask:
    graph: Any  # CompiledGraph
    cached: set[str]
    values: dict[str, dict[str, Any]]
    run_id: str
    settings: Any = None
    study_id: str | None = None
    trial_number: int | None = None
    use_cache: bool = True
    store_root: str | None = None  # the driver's store, opened read-only when the worker can reach it
    secrets: dict[str, str] = field(default_factory=dict)
    threads: int | None = None  # intra-op threads of the worker (compiler/threads.py); None: every core
    stream: bool = False  # send memoized results to the driver as they are computed (submitted with on_partial)


@dataclass
class TaskResult:
    run: Any  # RunResult without outputs (they are in the journal's save_encoded entries)
    journal: list[tuple[str, tuple, dict]]
    worker: str = ""  # host:pid that ran it


def run_graph(task: GraphTask) -> TaskResult:
    import os
    import socket

    from pipec.compiler.backends import partial_sink
    from pipec.compiler.executor import Executor
    from pipec.compiler.store.journal import JournalStore
    from pipec.compiler.threads import limit_threads

    if task.threads:
        limit_threads(task.threads)
    store = JournalStore(task.cached, task.values, task.store_root, task.secrets,
                         on_save=partial_sink() if task.stream else None)
    try:
        executor = Executor(task.graph, store, use_cache=task.use_cache, run_id=task.run_id,
                            settings=task.settings, study_id=task.study_id, trial_number=task.trial_number)
        result = executor.run()
    finally:
        store.close()
    result.outputs = {}
    return TaskResult(result, store.entries, f"{socket.gethostname()}:{os.getpid()}")
