"""Several processes writing to one store through the package lose no row (WAL, busy timeout, retries)."""

from __future__ import annotations

import multiprocessing as mp

import pytest
from pipec.compiler.store import LLMCall, Store

PROCESSES, RUNS, CALLS = 4, 15, 40


def _writer(root: str, worker: int) -> None:
    store = Store(root)
    try:
        for r in range(RUNS):
            run_id = f"w{worker}-r{r}"
            store.create_run(run_id, "g", "g.yaml", {"worker": worker}, 2)
            store.add_nodes(run_id, [(n, "core.value", "1", f"{run_id}-{n}", "{}", False) for n in ("a", "b")])
            store.save_result(f"{run_id}-a", "core.value", "a", {"v": r}, str(r), items=[(0, "q", '{"f1": 1}')])
            store.record_metrics(run_id, "a", "metrics", {"f1": r / RUNS})
            for c in range(CALLS // RUNS + 1):
                store.log_llm_call(LLMCall("fake/m", f"{run_id}-{c}", "hi", run_id=run_id, node="a"))
            store.finish_run(run_id, "succeeded", nodes_cached=0)
    finally:
        store.close()


@pytest.mark.slow
@pytest.mark.xdist_group("store-processes")
def test_four_processes_writing_runs_and_llm_calls_lose_no_row(tmp_path):
    root = str(tmp_path / "shared")
    Store(root).close()  # schema in place; the writers still race on everything else
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(root, w)) for w in range(PROCESSES)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)
    assert [p.exitcode for p in procs] == [0] * PROCESSES
    with Store(root) as store:
        runs = store.list_runs(limit=10_000)
        assert len(runs) == PROCESSES * RUNS and {r.status for r in runs} == {"succeeded"}
        assert store.count_llm_calls() == PROCESSES * RUNS * (CALLS // RUNS + 1)
        assert store.count_items() == PROCESSES * RUNS
        keys = [f"w{w}-r{r}-a" for w in range(PROCESSES) for r in range(RUNS)]
        assert store.cached_keys(keys) == set(keys)
        assert all(len(store.run_metrics(r.id)) == 1 for r in runs)


def test_two_connections_in_one_process_interleave_transactions(tmp_path):
    """A write while another connection holds the write lock waits and then succeeds (no 'database is locked')."""
    import threading

    first, second = Store(tmp_path / "s"), Store(tmp_path / "s")
    try:
        first.conn.db.execute("BEGIN IMMEDIATE")
        done = threading.Event()

        def write() -> None:
            second.create_run("late", "g", "g.yaml", {}, 0)
            done.set()

        t = threading.Thread(target=write)
        t.start()
        assert not done.wait(0.3)  # blocked on the lock
        first.conn.db.execute("COMMIT")
        t.join(30)
        assert done.is_set() and first.get_run("late") is not None
    finally:
        first.close()
        second.close()
