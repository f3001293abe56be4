"""How many threads one process's native libraries use for one op's work (intra-op parallelism).

A serial run lets onnxruntime, faiss and BLAS use every core. N parallel trials on one machine would then run
N x cores threads that only compete for the cores, so a study's worker limits itself to cores // N
(`limit_threads`, called by compiler/backends/task.py before a trial runs): onnxruntime sessions created after
it (ops/text/minilm.py, the reranker) and faiss's OpenMP pool follow at once; BLAS and OpenMP libraries that
are not loaded yet read the environment variables set here. A BLAS already loaded keeps its pool (numpy's
matrix products in these ops are small).
"""

from __future__ import annotations

import os
import sys

ENV = "PIPEC_THREADS"
LIBRARY_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def cpu_threads() -> int:
    """Intra-op threads for this process: PIPEC_THREADS if set (a study's worker), else every core."""
    try:
        value = int(os.environ.get(ENV) or 0)
    except ValueError:
        value = 0
    return value if value > 0 else (os.cpu_count() or 1)


def limit_threads(threads: int) -> None:
    """Use at most `threads` intra-op threads in this process from now on."""
    threads = max(1, int(threads))
    if os.environ.get(ENV) == str(threads):
        return
    os.environ[ENV] = str(threads)
    for name in LIBRARY_ENV:
        os.environ[name] = str(threads)
    faiss = sys.modules.get("faiss")
    if faiss is not None:
        faiss.omp_set_num_threads(threads)


def per_worker(workers: int) -> int:
    """Threads each of `workers` processes on this machine gets: the cores shared out, at least one."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))
