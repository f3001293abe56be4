"""The Ray backend: each task is a Ray task with a CPU hint; arguments and results travel through Ray's
object store. Without an address it starts a private local Ray instance bound to 127.0.0.1 (stopped on
close); with one (`auto`, `ray://host:10001`, a GCS address) it joins that cluster and leaves it running.

Ray's own task retries are off (`max_retries=0`): a lost worker or node surfaces as `WorkerLost` and the
study decides (its `--retries`).

A task submitted with `on_partial` runs as a Ray streaming generator (`_stream`): the function runs in a thread
of the Ray worker, each value it sends through `partial_sink()` is yielded at once (a trial's memoized results,
as the local backend sends them over its pipe), and its result is the last value. A driver thread follows the
generator and hands each partial value to `on_partial`.
"""

from __future__ import annotations

import tempfile
import threading
from concurrent.futures import Future
from typing import Any

from . import TaskFailed, WorkerLost, set_partial_sink, take_partial

PARTIAL, RESULT, RAISED = "partial", "result", "raised"


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        from pipec.compiler.errors import UsageError

        raise UsageError("the ray backend needs Ray, which is not installed: pip install 'pipec[ray]' "
                         "(or use --backend local)") from None
    return ray


def _call(fn: Any, arg: Any) -> Any:
    return fn(arg)


def _stream(fn: Any, arg: Any) -> Any:
    """In a Ray worker: yield (PARTIAL, value) for each value `fn` sends before it ends, then (RESULT, result)."""
    import queue

    out: queue.Queue = queue.Queue()

    def work() -> None:
        try:
            out.put((RESULT, fn(arg)))
        except BaseException as exc:  # re-raised below, in the task itself, so Ray reports it as the task's
            out.put((RAISED, exc))

    set_partial_sink(lambda value: out.put((PARTIAL, value)))
    threading.Thread(target=work, name="pipec-ray-task", daemon=True).start()
    try:
        while True:
            kind, value = out.get()
            if kind == RAISED:
                raise value
            yield kind, value
            if kind == RESULT:
                return
    finally:
        set_partial_sink(None)


class RayBackend:
    name = "ray"

    def __init__(self, workers: int | None = None, address: str | None = None):
        ray = self.ray = import_ray()
        self._owns = False
        if not ray.is_initialized():
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                ray.init(num_cpus=workers, include_dashboard=False, _node_ip_address="127.0.0.1",
                         _temp_dir=tempfile.mkdtemp(prefix="pipec-ray-"), log_to_driver=False)
                self._owns = True
        self.workers = int(workers or ray.cluster_resources().get("CPU", 1))
        self._remote = ray.remote(max_retries=0)(_call)
        self._streaming = ray.remote(max_retries=0, num_returns="streaming")(_stream)
        self._refs: dict[Future, Any] = {}

    def submit(self, fn: Any, arg: Any, num_cpus: float = 1, on_partial: Any = None) -> Future:
        """on_partial(value): called (on a driver thread) for each value the task sends before its result."""
        outer: Future = Future()
        outer.set_running_or_notify_cancel()
        if on_partial is None:
            ref = self._remote.options(num_cpus=num_cpus).remote(fn, arg)
            self._refs[outer] = ref
            ref.future().add_done_callback(lambda inner: self._settle(outer, inner))
            return outer
        stream = self._streaming.options(num_cpus=num_cpus).remote(fn, arg)
        self._refs[outer] = stream
        threading.Thread(target=self._follow, args=(stream, outer, on_partial), name="pipec-ray-follow",
                         daemon=True).start()
        return outer

    def _settle(self, outer: Future, inner: Future) -> None:
        self._refs.pop(outer, None)
        try:
            outer.set_result(inner.result())
        except Exception as exc:
            outer.set_exception(self._failure(exc))

    def _follow(self, stream: Any, outer: Future, on_partial: Any) -> None:
        """Hand the task's partial values to on_partial as they come, then settle `outer` with its result (a
        failing on_partial fails the task once its result is in, as with the local backend)."""
        error = None
        try:
            for ref in stream:
                kind, value = self.ray.get(ref)
                if kind == RESULT:
                    self._refs.pop(outer, None)
                    if error is None:
                        outer.set_result(value)
                    else:
                        outer.set_exception(TaskFailed(error))
                    return
                if error is None:
                    error = take_partial(on_partial, value)
            raise TaskFailed("the task ended without a result")
        except Exception as exc:
            self._refs.pop(outer, None)
            outer.set_exception(self._failure(exc))

    def _failure(self, exc: Exception) -> Exception:
        """What a Ray error means for the caller: the task raised (TaskFailed) or its worker is gone."""
        errors = self.ray.exceptions
        if isinstance(exc, (TaskFailed, WorkerLost)):
            return exc
        if isinstance(exc, errors.RayTaskError):
            return TaskFailed(str(exc))
        if isinstance(exc, errors.TaskCancelledError):
            return WorkerLost("the task was cancelled")
        if isinstance(exc, errors.RayError):  # worker crashed, node died, object lost
            return WorkerLost(f"{type(exc).__name__}: {exc}".splitlines()[0])
        return TaskFailed(f"{type(exc).__name__}: {exc}")

    def cancel(self, future: Future) -> None:
        ref = self._refs.get(future)
        if ref is not None:
            try:
                self.ray.cancel(ref, force=True)
            except Exception:  # already finished
                pass

    def close(self) -> None:
        for future in list(self._refs):
            self.cancel(future)
        if self._owns:
            self.ray.shutdown()
