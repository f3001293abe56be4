"""Parallel trials: wall time of a study with --workers 2 over --workers 1, local vs Ray, and the per-trial and
per-task overhead of each backend. Prints tables; every ratio is measured side by side in this one run.

    python bench/parallel/bench.py                 # 20-trial RAG study (MiniLM, 20 chunk sizes) + overheads
    python bench/parallel/bench.py --trials 8 --repeats 1

Sections:
1. study: bench/parallel/rag_chunks.yaml (every trial chunks, embeds with MiniLM and indexes the corpus again;
   CPU-bound), each configuration in a fresh store and with cold process caches: serial (--workers 1, this
   process), local --workers 2, ray --workers 2. Target: workers 2 / workers 1 <= 0.6 on 2 cores.
2. overhead: bench/parallel/trivial.yaml (one tiny node per trial): seconds per trial, serial vs local vs ray.
3. ray tasks: a no-op Ray task, and a one-node graph run as a Ray task (ms per task; target < 5 ms).
4. node_backend: a 1,000-node chain of trivial nodes, every node a worker thread (local) or a Ray task.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def start_ray() -> None:
    import ray

    t0 = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False,
             _temp_dir=tempfile.mkdtemp(prefix="pray", dir="/tmp"))
    print(f"ray.init (local, 2 CPUs, 127.0.0.1): {time.perf_counter() - t0:.1f} s", flush=True)


def study_seconds(graph: Path, trials: int, workers: int | None, backend: str | None,
                  overrides: tuple[str, ...] = ()) -> tuple[float, int]:
    from pipec.compiler.store import Store, clear_process_caches
    from pipec.optimizers.parallel import ParallelTuner
    from pipec.optimizers.study import Budgets, Tuner

    clear_process_caches()
    with tempfile.TemporaryDirectory(prefix="bench-par-") as folder:
        store = Store(Path(folder) / "store")
        kwargs = {"budgets": Budgets(trials=trials), "overrides": list(overrides)}
        t0 = time.perf_counter()  # compiling the graph counts, as it does for `pipe tune`
        if backend is None:
            tuner = Tuner(graph, store, **kwargs)
        else:
            tuner = ParallelTuner(graph, store, workers=workers, backend=backend, **kwargs)
        outcome = tuner.run()
        seconds = time.perf_counter() - t0
        complete = sum(t.state == "complete" for t in outcome.history.trials)
        errors = {t.error for t in outcome.history.trials if t.state != "complete"}
        for error in sorted(e or "" for e in errors)[:3]:
            print(f"    failed trial: {error[:300]}", file=sys.stderr)
        store.close()
    return seconds, complete


def ray_task_ms(n: int) -> dict[str, float]:
    import ray
    from pipec.compiler.backends.task import GraphTask, run_graph
    from pipec.compiler.compile import compile_file
    from pipec.compiler.executor import new_run_id

    @ray.remote
    def noop(x):
        return x

    ray.get([noop.remote(i) for i in range(20)])  # warm the workers
    t0 = time.perf_counter()
    ray.get([noop.remote(i) for i in range(n)])
    noop_ms = (time.perf_counter() - t0) / n * 1000
    graph = compile_file(HERE / "trivial.yaml")
    remote = ray.remote(run_graph)
    ray.get([remote.remote(GraphTask(graph, set(), {}, new_run_id())) for _ in range(4)])
    t0 = time.perf_counter()
    ray.get([remote.remote(GraphTask(graph, set(), {}, new_run_id())) for _ in range(n // 4)])
    graph_ms = (time.perf_counter() - t0) / (n // 4) * 1000
    return {"no-op task": noop_ms, "one-node graph as a task": graph_ms}


def chain_seconds(n: int, node_backend: str) -> float:
    """A run of an n-node chain of core.sleep(0) nodes (plain ops: worker threads, or Ray tasks)."""
    import yaml
    from pipec.compiler.compile import compile_file
    from pipec.compiler.executor import Executor
    from pipec.compiler.store import Store

    nodes = {"start": {"op": "core.value", "params": {"value": 1}}}
    for i in range(n):
        nodes[f"n{i}"] = {"op": "core.sleep", "inputs": {"value": "start" if i == 0 else f"n{i - 1}"},
                          "params": {"seconds": 0, "steps": 1}}
    with tempfile.TemporaryDirectory(prefix="bench-chain-") as folder:
        path = Path(folder) / "chain.yaml"
        path.write_text(yaml.safe_dump({"pipeline": "chain", "settings": {"node_backend": node_backend},
                                        "nodes": nodes}), encoding="utf-8")
        graph = compile_file(path)
        store = Store(Path(folder) / "store")
        t0 = time.perf_counter()
        result = Executor(graph, store, use_cache=False).run()
        seconds = time.perf_counter() - t0
        store.close()
    assert result.status == "succeeded", result.error
    return seconds


def fmt(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=20, help="trials of the RAG study (default 20)")
    parser.add_argument("--repeats", type=int, default=1, help="repeats of the RAG study section (default 1)")
    parser.add_argument("--skip-study", action="store_true", help="only the overhead sections")
    parser.add_argument("--embedder", default="minilm", help="embedder of the RAG study: minilm (onnxruntime, "
                        "every core within a trial) or hashing (single-threaded trials)")
    parser.add_argument("--study-only", action="store_true", help="only the RAG study section")
    parser.add_argument("--data", help="data_dir of the RAG study (default: examples/rag/data), e.g. "
                        "../shared/data/hotpotqa")
    args = parser.parse_args()

    import ray

    print(f"load average before: {os.getloadavg()}", flush=True)
    configs = [("serial (--workers 1)", None, None), ("local --workers 2", 2, "local"),
               ("ray --workers 2", 2, "ray")]
    if not args.skip_study:
        times: dict[str, list[float]] = {name: [] for name, _, _ in configs}
        overrides = (f"embedder={args.embedder}",) + ((f"data_dir={Path(args.data).resolve()}",) if args.data else ())
        for _ in range(args.repeats):
            for name, workers, backend in configs:
                # A fresh Ray instance for each Ray study, and none for the others: Ray's worker processes
                # outlive a study and keep its process caches (the embedding cache), and its daemons take CPU
                # of their own, which a user of the local backend does not pay.
                if backend == "ray":
                    start_ray()
                seconds, complete = study_seconds(HERE / "rag_chunks.yaml", args.trials, workers, backend,
                                                  overrides)
                if backend == "ray":
                    ray.shutdown()
                times[name].append(seconds)
                print(f"  {name}: {seconds:.1f} s, {complete} complete trials", flush=True)
        base = statistics.median(times[configs[0][0]])
        print(f"\n1. {args.trials}-trial RAG study ({args.embedder} embedder, {args.data or 'examples/rag/data'}, "
              f"distinct chunk sizes), wall seconds (min / median / max of {args.repeats})")
        print(f"{'configuration':<24} {'seconds':>22} {'/ workers 1':>12}")
        for name, _, _ in configs:
            print(f"{name:<24} {fmt(times[name]):>22} {statistics.median(times[name]) / base:>12.2f}")
    if args.study_only:
        print(f"load average after: {os.getloadavg()}")
        return 0
    start_ray()

    trivial: dict[str, list[float]] = {name: [] for name, _, _ in configs}
    for _ in range(3):
        for name, workers, backend in configs:
            seconds, _ = study_seconds(HERE / "trivial.yaml", 40, workers, backend)
            trivial[name].append(seconds / 40 * 1000)
    print("\n2. trivial graph, 40 trials: milliseconds per trial (min / median / max of 3)")
    for name, _, _ in configs:
        print(f"{name:<24} {fmt(trivial[name]):>22}")

    print("\n3. Ray task overhead, milliseconds per task (200 tasks, 2 CPUs)")
    for name, ms in ray_task_ms(200).items():
        print(f"{name:<28} {ms:>8.2f}")

    print("\n4. 1,000-node chain (core.sleep 0 s, no memo), seconds per run (min / median / max of 3)")
    chain: dict[str, list[float]] = {"local": [], "ray": []}
    for _ in range(3):
        for backend in chain:
            chain[backend].append(chain_seconds(1000, backend))
    for backend, values in chain.items():
        per_node = statistics.median(values) / 1000 * 1000
        print(f"node_backend {backend:<15} {fmt(values):>22}   {per_node:.2f} ms per node")
    ray.shutdown()
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
