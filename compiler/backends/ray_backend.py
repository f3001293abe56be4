"""The Ray backend: each task is a Ray task with a CPU hint; arguments and results travel through Ray's
object store. Without an address it starts a private local Ray instance bound to 127.0.0.1 (stopped on
close); with one (`auto`, `ray://host:10001`, a GCS address) it joins that cluster and leaves it running.

Ray's own task retries are off (`max_retries=0`): a lost worker or node surfaces as `WorkerLost` and the
study decides (its `--retries`).
"""

from __future__ import annotations

import tempfile
from concurrent.futures import Future
from typing import Any

from . import TaskFailed, WorkerLost


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
        self._refs: dict[Future, Any] = {}

    def submit(self, fn: Any, arg: Any, num_cpus: float = 1, on_partial: Any = None) -> Future:
        """on_partial is not called: a Ray task's values come back with its result."""
        ref = self._remote.options(num_cpus=num_cpus).remote(fn, arg)
        outer: Future = Future()
        outer.set_running_or_notify_cancel()
        self._refs[outer] = ref
        ref.future().add_done_callback(lambda inner: self._settle(outer, inner))
        return outer

    def _settle(self, outer: Future, inner: Future) -> None:
        self._refs.pop(outer, None)
        try:
            outer.set_result(inner.result())
        except self.ray.exceptions.RayTaskError as exc:
            outer.set_exception(TaskFailed(str(exc)))
        except self.ray.exceptions.TaskCancelledError:
            outer.set_exception(WorkerLost("the task was cancelled"))
        except self.ray.exceptions.RayError as exc:  # worker crashed, node died, object lost
            outer.set_exception(WorkerLost(f"{type(exc).__name__}: {exc}".splitlines()[0]))
        except Exception as exc:
            outer.set_exception(TaskFailed(f"{type(exc).__name__}: {exc}"))

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
