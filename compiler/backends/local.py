"""The local backend: up to N long-lived worker processes on this machine, forked from a clean fork server (no
threads, no open store, pipec preloaded). A worker runs one task at a time and keeps its process caches (loaded
models, memos) from one trial to the next, as a serial study does. A worker that dies costs only the task it
was running (its future fails with `WorkerLost`); the next task starts a new worker.

Results come back over a pipe; a task may also send values before it ends (`partial_sink()`, e.g. each
memoized node result of a trial as soon as it is computed), which the driver gets through `on_partial`.
Workers ignore SIGINT: on Ctrl-C the driver decides what to cancel (it
terminates them).
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
import traceback
from collections import deque
from concurrent.futures import Future
from typing import Any

from . import TaskFailed, WorkerLost, set_partial_sink, take_partial

PARTIAL = "partial"  # first element of a message that is not the task's result
PRELOAD = ["pipec.compiler.backends.task", "pipec.compiler.executor", "numpy"]


def _serve(conn: Any) -> None:
    """A worker's loop: (fn, arg) in, (ok, result or traceback) out, until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    lock = threading.Lock()  # the task's threads send partial values while the loop may send a result

    def send(payload: Any) -> None:
        with lock:
            conn.send(payload)

    set_partial_sink(lambda value: send((PARTIAL, value)))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        fn, arg = message
        try:
            payload = (True, fn(arg))
        except BaseException as exc:  # the driver gets the worker's traceback, not a dead pipe
            payload = (False, f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
        try:
            send(payload)
        except Exception as exc:  # e.g. an unpicklable result
            send((False, f"the result could not be sent back: {type(exc).__name__}: {exc}"))


class _Worker:
    def __init__(self, mp: Any):
        self.conn, child = mp.Pipe(duplex=True)
        self.proc = mp.Process(target=_serve, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self.future: Future | None = None
        self.on_partial: Any = None


class LocalBackend:
    name = "local"

    def __init__(self, workers: int, preload: list[str] | tuple[str, ...] = ()):
        """preload: modules every worker imports before its first task (e.g. the modules of a study's ops)."""
        self.workers = max(1, int(workers))
        self._mp = multiprocessing.get_context("forkserver")
        self._mp.set_forkserver_preload(PRELOAD + [m for m in preload if m not in PRELOAD])
        self._pool: list[_Worker] = []
        self._queue: deque[tuple[Any, Any, Future, Any]] = deque()
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Any, arg: Any, num_cpus: float = 1, on_partial: Any = None) -> Future:
        """on_partial(value): called (on a backend thread) for each value the task sends before its result."""
        future: Future = Future()
        future.set_running_or_notify_cancel()
        with self._lock:
            self._queue.append((fn, arg, future, on_partial))
        self._pump()
        return future

    def _pump(self) -> None:
        with self._lock:
            while self._queue and not self._closed:
                worker = next((w for w in self._pool if w.future is None), None)
                if worker is None:
                    if len(self._pool) >= self.workers:
                        return
                    worker = _Worker(self._mp)
                    self._pool.append(worker)
                fn, arg, future, worker.on_partial = self._queue.popleft()
                worker.future = future
                try:
                    worker.conn.send((fn, arg))
                except (OSError, ValueError) as exc:  # the worker died while idle
                    self._pool.remove(worker)
                    future.set_exception(WorkerLost(f"worker process {worker.proc.pid} is gone ({exc})"))
                    continue
                threading.Thread(target=self._wait, args=(worker, future), daemon=True).start()

    def _wait(self, worker: _Worker, future: Future) -> None:
        payload = self._receive(worker)
        with self._lock:
            if payload is None:
                worker.proc.join(timeout=5)
                if worker in self._pool:
                    self._pool.remove(worker)
            worker.future = None
        if payload is None:
            future.set_exception(WorkerLost(f"worker process {worker.proc.pid} died "
                                            f"(exit code {worker.proc.exitcode})"))
        elif payload[0]:
            future.set_result(payload[1])
        else:
            future.set_exception(TaskFailed(payload[1]))
        self._pump()

    @staticmethod
    def _receive(worker: _Worker) -> Any:
        """The task's result (None: the worker died), handing the partial values before it to `on_partial`."""
        error = None
        while True:
            try:
                payload = worker.conn.recv()
            except (EOFError, OSError):
                return None
            if payload[0] != PARTIAL:
                return (False, error) if error and payload[0] else payload
            if worker.on_partial is not None and error is None:
                error = take_partial(worker.on_partial, payload[1])

    def worker_pids(self, busy_only: bool = True) -> list[int]:
        """The worker processes (those running a task, by default)."""
        with self._lock:
            return [w.proc.pid for w in self._pool if w.future is not None or not busy_only]

    def cancel(self, future: Future) -> None:
        with self._lock:
            self._queue = deque(item for item in self._queue if item[2] is not future)
            worker = next((w for w in self._pool if w.future is future), None)
        if worker is not None and worker.proc.is_alive():
            worker.proc.terminate()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool = list(self._pool)
        for worker in pool:
            worker.conn.close()
            if worker.future is not None and worker.proc.is_alive():
                worker.proc.terminate()
        for worker in pool:
            worker.proc.join(timeout=5)
            if worker.proc.is_alive():
                worker.proc.terminate()
