"""The local backend: one worker process per task, forked from a clean fork server (no threads, no open
store, pipec preloaded), so a task starts in milliseconds and a process that dies costs only its own task.

Results come back over a pipe; the process is gone once it has sent its result. Workers ignore SIGINT: on
Ctrl-C the driver decides what to cancel (it terminates them).
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
import traceback
from concurrent.futures import Future
from typing import Any

from . import TaskFailed, WorkerLost

PRELOAD = ["pipec.compiler.backends.task", "pipec.compiler.executor", "numpy"]


def _child(fn: Any, arg: Any, conn: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        payload = (True, fn(arg))
    except BaseException as exc:  # the driver gets the worker's traceback, not a dead pipe
        payload = (False, f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
    try:
        conn.send(payload)
    except Exception as exc:  # e.g. an unpicklable result
        conn.send((False, f"the result could not be sent back: {type(exc).__name__}: {exc}"))
    conn.close()


class LocalBackend:
    name = "local"

    def __init__(self, workers: int):
        self.workers = max(1, int(workers))
        self._mp = multiprocessing.get_context("forkserver")
        self._mp.set_forkserver_preload(PRELOAD)
        self._procs: dict[Future, Any] = {}
        self._lock = threading.Lock()

    def submit(self, fn: Any, arg: Any, num_cpus: float = 1) -> Future:
        receive, send = self._mp.Pipe(duplex=False)
        proc = self._mp.Process(target=_child, args=(fn, arg, send), daemon=True)
        proc.start()
        send.close()
        future: Future = Future()
        future.set_running_or_notify_cancel()
        with self._lock:
            self._procs[future] = proc
        threading.Thread(target=self._wait, args=(proc, receive, future), daemon=True).start()
        return future

    def _wait(self, proc: Any, receive: Any, future: Future) -> None:
        try:
            payload = receive.recv()
        except (EOFError, OSError):
            payload = None
        receive.close()
        proc.join()
        with self._lock:
            self._procs.pop(future, None)
        if payload is None:
            future.set_exception(WorkerLost(f"worker process {proc.pid} died (exit code {proc.exitcode})"))
        elif payload[0]:
            future.set_result(payload[1])
        else:
            future.set_exception(TaskFailed(payload[1]))

    def pid(self, future: Future) -> int | None:
        with self._lock:
            proc = self._procs.get(future)
        return proc.pid if proc is not None else None

    def cancel(self, future: Future) -> None:
        with self._lock:
            proc = self._procs.get(future)
        if proc is not None and proc.is_alive():
            proc.terminate()

    def close(self) -> None:
        with self._lock:
            procs = list(self._procs.values())
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc in procs:
            proc.join(timeout=5)
