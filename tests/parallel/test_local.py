"""Parallel studies on the local backend (worker processes on this machine, a real SQLite store)."""

from __future__ import annotations

import pytest
from pipec.optimizers.parallel import ParallelTuner
from pipec.optimizers.study import Budgets

from .helpers import configs, executions, run_study, write_graph


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["grid", "random"])
def test_parallel_study_gives_the_serial_trials_and_best(tmp_path, strategy):
    graph = write_graph(tmp_path, {"strategy": strategy, "seed": 3}, shared_sleep=0.0)
    trials = 12 if strategy == "grid" else 7
    serial, serial_best, serial_rows = run_study(graph, tmp_path / "serial", trials=trials)
    par, par_best, par_rows = run_study(graph, tmp_path / "par", workers=2, trials=trials)
    assert len(par_rows) == len(serial_rows) == trials
    assert configs(par_rows) == configs(serial_rows)
    assert {r["state"] for r in par_rows} == {"complete"}
    assert par_best.config == serial_best.config and par_best.value == pytest.approx(serial_best.value)
    assert par.status == serial.status == "finished"


@pytest.mark.slow
def test_a_memoized_node_is_computed_once_across_concurrent_trials(tmp_path):
    graph = write_graph(tmp_path, {"strategy": "grid"}, shared_sleep=0.5)
    outcome, _, rows = run_study(graph, tmp_path / "store", workers=3, trials=6)
    assert len(rows) == 6 and all(r["state"] == "complete" for r in rows)
    shared = executions(tmp_path / "store", rows, "shared")
    assert list(shared.values()) == [1], shared  # one key, computed once, five trials read it from the memo
    per_config = executions(tmp_path / "store", rows, "objective")
    assert len(per_config) == 6 and set(per_config.values()) == {1}


@pytest.mark.slow
def test_trials_run_at_the_same_time(tmp_path):
    graph = write_graph(tmp_path, {"strategy": "grid"}, shared_sleep=0.0, sleep=1.0)
    _, _, rows = run_study(graph, tmp_path / "store", workers=3, trials=3)
    starts = sorted(r["started_at"] for r in rows)
    ends = sorted(r["ended_at"] for r in rows)
    assert ends[0] > starts[-1], "the three trials should overlap in time"


@pytest.mark.slow
def test_a_failing_trial_fails_alone_and_the_study_goes_on(tmp_path):
    graph = write_graph(tmp_path, {"strategy": "grid", "max_consecutive_failures": 10}, shared_sleep=0.0,
                        objective={"fail_above_x": 0.3})
    outcome, best, rows = run_study(graph, tmp_path / "store", workers=2, trials=12)
    failed = [r for r in rows if r["state"] == "failed"]
    assert len(rows) == 12 and len(failed) == 6  # x in {0.4, 0.6} for the three kinds
    assert all("above" in r["error"] for r in failed)
    assert best is not None and best.config["x"] <= 0.3


@pytest.mark.slow
def test_a_killed_worker_costs_only_its_trial_and_is_retried(tmp_path):

    graph = write_graph(tmp_path, {"strategy": "grid"}, shared_sleep=0.0, sleep=1.5)
    from pipec.compiler.store import Store

    store = Store(tmp_path / "store")
    tuner = ParallelTuner(graph, store, budgets=Budgets(trials=4), workers=2, retries=1)
    killed = kill_first_worker_soon(tuner)
    outcome = tuner.run()
    rows = store.query("SELECT * FROM trials WHERE study_id=? ORDER BY number", (outcome.study_id,))
    store.close()
    assert killed
    assert len(rows) == 4 and all(r["state"] == "complete" for r in rows)  # the killed one ran again
    assert outcome.status == "finished"


@pytest.mark.slow
def test_a_killed_worker_without_retries_fails_its_trial_only(tmp_path):

    graph = write_graph(tmp_path, {"strategy": "grid"}, shared_sleep=0.0, sleep=1.5)
    from pipec.compiler.store import Store

    store = Store(tmp_path / "store")
    tuner = ParallelTuner(graph, store, budgets=Budgets(trials=4), workers=2)
    kill_first_worker_soon(tuner)
    outcome = tuner.run()
    rows = store.query("SELECT * FROM trials WHERE study_id=? ORDER BY number", (outcome.study_id,))
    store.close()
    lost = [r for r in rows if r["state"] == "failed"]
    assert len(lost) == 1 and "worker" in lost[0]["error"] and "died" in lost[0]["error"]
    assert len(rows) == 4 and sum(r["state"] == "complete" for r in rows) == 3  # the study went on


@pytest.mark.slow
def test_parallel_greedy_follows_the_serial_path(tmp_path):
    graph = write_graph(tmp_path, {"strategy": "greedy"}, shared_sleep=0.0)
    _, serial_best, serial_rows = run_study(graph, tmp_path / "serial")
    _, par_best, par_rows = run_study(graph, tmp_path / "par", workers=3)
    assert configs(par_rows) == configs(serial_rows)  # it waits for a coordinate's candidates before moving on
    assert par_best.config == serial_best.config


@pytest.mark.slow
def test_ctrl_c_cancels_the_trials_in_flight_and_marks_the_study_interrupted(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from pipec.compiler.store import Store

    graph = write_graph(tmp_path, {"strategy": "grid"}, shared_sleep=0.0, sleep=30.0)
    store_dir = tmp_path / "store"
    proc = subprocess.Popen([sys.executable, "-m", "pipec.compiler.cli", "tune", str(graph), "--workers", "2",
                             "--trials", "6", "--study", "s", "--store", str(store_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.3)
        try:
            store = Store(store_dir, readonly=True)
            running = store.query("SELECT COUNT(*) AS n FROM trials WHERE state='running'")[0]["n"]
            store.close()
        except Exception:  # not created yet, or still empty
            running = 0
        if running >= 2:
            break
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    store = Store(store_dir, readonly=True)
    rows = store.query("SELECT state, error FROM trials ORDER BY number")
    study = store.query("SELECT status, settings_json FROM studies")[0]
    store.close()
    assert len(rows) == 2 and all(r["state"] == "failed" and r["error"].startswith("interrupted") for r in rows)
    assert study["status"] == "stopped" and '"stop_reason": "interrupted"' in study["settings_json"]


def kill_first_worker_soon(tuner) -> list[int]:
    """SIGKILL the study's first worker process as soon as it exists (from a thread); returns the killed pids."""
    import os
    import signal
    import threading

    killed: list[int] = []

    def kill() -> None:
        for _ in range(200):
            pids = tuner.backend.worker_pids() if tuner.backend is not None else []
            if pids:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
                return
            threading.Event().wait(0.05)

    threading.Thread(target=kill, daemon=True).start()
    return killed
