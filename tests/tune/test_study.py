"""Studies: failing trials, budgets, duplicates, resume after an interrupted study (also kill -9)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from pipec.compiler.errors import UsageError
from pipec.compiler.store import Store
from pipec.optimizers.study import Budgets

from .helpers import GRID_SPACE, OPTIMUM, run_study, write_graph

SMALL = {"x": [0.0, 0.3, 0.6], "kind": ["a", "b"]}


def test_a_failing_trial_is_recorded_and_the_study_goes_on(tmp_path):
    graph = write_graph(tmp_path, {"space": SMALL}, params={"fail_above_x": 0.5})
    outcome, best, rows = run_study(graph, tmp_path / "s", strategy="grid")
    failed = [r for r in rows if r["state"] == "failed"]
    assert len(rows) == 6 and len(failed) == 2
    assert all(json.loads(r["config_json"])["x"] == 0.6 and "x=0.6 is above 0.5" in r["error"] for r in failed)
    assert best.config == {"x": 0.3, "kind": "b"} and outcome.status == "finished"


def test_trial_budget_stops_cleanly(tmp_path):
    outcome, _, rows = run_study(write_graph(tmp_path, {"space": GRID_SPACE}), tmp_path / "s", strategy="grid",
                                 trials=5)
    assert len(rows) == 5 and all(r["state"] == "complete" for r in rows)
    assert outcome.stop_reason == "trials" and outcome.status == "finished"


def test_timeout_stops_the_study_and_keeps_finished_trials(tmp_path):
    graph = write_graph(tmp_path, {"space": GRID_SPACE}, params={"sleep": 0.3})
    t0 = time.monotonic()
    outcome, _, rows = run_study(graph, tmp_path / "s", strategy="grid", budgets=Budgets(trials=50, timeout_s=1.0))
    assert time.monotonic() - t0 < 5
    assert outcome.stop_reason == "timeout" and outcome.status == "stopped"
    complete = [r for r in rows if r["state"] == "complete"]
    assert 1 <= len(complete) <= 4 and rows[-1]["error"].startswith("interrupted")
    store = Store(tmp_path / "s")
    study = store.query("SELECT status, settings_json FROM studies")[0]
    store.close()
    assert study["status"] == "stopped" and json.loads(study["settings_json"])["stop_reason"] == "timeout"


def _proposer_graph(tmp_path):
    return write_graph(tmp_path, {"space": SMALL, "llm": {"model": "fake/tuner"}})


@pytest.mark.parametrize("budget, reason", [(Budgets(trials=10, max_calls=2), "max_calls"),
                                            (Budgets(trials=10, max_usd=0.01), "max_usd")])
def test_llm_budgets_stop_the_study(tmp_path, budget, reason):
    from pipec.compiler.llm.fake import fake_script

    replies = [json.dumps({"x": x, "kind": k}) for x in (0.3, 0.6) for k in ("a", "b")]
    with fake_script(replies, prices={"input": 1e-4, "output": 1e-4}):
        outcome, _, rows = run_study(_proposer_graph(tmp_path), tmp_path / "s", strategy="llm", budgets=budget)
    assert outcome.stop_reason == reason and outcome.status == "stopped"
    if reason == "max_calls":
        assert outcome.totals["proposer_calls"] == 2
    else:
        assert outcome.totals["cost_usd"] >= 0.01 and outcome.totals["proposer_calls"] >= 1
    assert len(rows) == 1 + outcome.totals["proposer_calls"]


def test_a_study_resumes_without_running_a_config_twice(tmp_path):
    graph = write_graph(tmp_path, {"space": GRID_SPACE})
    first, _, _ = run_study(graph, tmp_path / "s", strategy="grid", study="g", trials=10)
    second, best, rows = run_study(graph, tmp_path / "s", strategy="grid", study="g", trials=75)
    assert not first.resumed and second.resumed and second.study_id == first.study_id
    assert len(rows) == 75 and len({r["config_hash"] for r in rows}) == 75
    assert [r["number"] for r in rows] == list(range(0, 75))  # trial 0: the baseline
    assert best.value == pytest.approx(OPTIMUM)
    # The same configs in another study: every node comes from the memo of the first study.
    third, _, rows3 = run_study(graph, tmp_path / "s", strategy="grid", study="again", trials=3)
    assert all(r["cache_hits"] == 1 for r in rows3)


def test_resuming_with_another_space_or_strategy_is_refused(tmp_path):
    run_study(write_graph(tmp_path, {"space": SMALL}), tmp_path / "s", strategy="grid", study="g", trials=1)
    with pytest.raises(UsageError, match="another search space"):
        run_study(write_graph(tmp_path, {"space": GRID_SPACE}), tmp_path / "s", strategy="grid", study="g")
    with pytest.raises(UsageError, match="uses strategy 'grid'"):
        run_study(write_graph(tmp_path, {"space": SMALL}), tmp_path / "s", strategy="random", study="g")


def test_resume_after_kill_9_loses_at_most_the_trial_in_flight(tmp_path):
    graph = write_graph(tmp_path, {"space": SMALL}, params={"sleep": 0.4})
    store_dir = tmp_path / "s"
    proc = subprocess.Popen([sys.executable, "-m", "pipec.compiler.cli", "tune", str(graph), "--strategy", "grid",
                             "--study", "k", "--store", str(store_dir), "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if (store_dir / "store.db").exists():
                store = Store(store_dir)
                states = [r["state"] for r in store.query("SELECT state FROM trials ORDER BY number")]
                store.close()
                if states.count("complete") >= 2 and states[-1] == "running":
                    break
            time.sleep(0.05)
        else:
            pytest.fail("the study did not get going")
        with pytest.raises(UsageError, match="running in another process"):  # one process per study
            run_study(graph, store_dir, strategy="grid", study="k")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    outcome, best, rows = run_study(graph, store_dir, strategy="grid", study="k")
    assert outcome.resumed and outcome.reaped == 1
    interrupted = [r for r in rows if r["state"] == "failed"]
    assert len(interrupted) == 1 and interrupted[0]["error"].startswith("interrupted")
    complete = [r for r in rows if r["state"] == "complete"]
    assert len(complete) == 6 and len({r["config_hash"] for r in complete}) == 6
    assert interrupted[0]["config_hash"] in {r["config_hash"] for r in complete}  # the lost trial ran again
    assert best.config == {"x": 0.3, "kind": "b"}


def _wait_for_trials(store_dir, complete: int, proc) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if (store_dir / "store.db").exists():
            store = Store(store_dir)
            states = [r["state"] for r in store.query("SELECT state FROM trials ORDER BY number")]
            store.close()
            if states.count("complete") >= complete and states[-1] == "running":
                return
        time.sleep(0.05)
    pytest.fail("the study did not get going")


def test_ctrl_c_stops_the_study_cleanly_and_it_resumes(tmp_path):
    # 1 s trials: the signal must land while trials are left even when a loaded CI machine stalls this process
    graph = write_graph(tmp_path, {"space": SMALL}, params={"sleep": 1.0})
    store_dir = tmp_path / "s"
    cmd = [sys.executable, "-m", "pipec.compiler.cli", "tune", str(graph), "--strategy", "grid", "--study", "c",
           "--store", str(store_dir), "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_trials(store_dir, 2, proc)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "resume with --study c" in err, (proc.returncode, err)
    store = Store(store_dir)
    status = store.query("SELECT status, settings_json FROM studies")[0]
    rows = store.query("SELECT state, error FROM trials ORDER BY number")
    store.close()
    assert status["status"] == "stopped" and json.loads(status["settings_json"])["stop_reason"] == "interrupted"
    assert rows[-1]["state"] == "failed" and rows[-1]["error"].startswith("interrupted")
    outcome, best, rows = run_study(graph, store_dir, strategy="grid", study="c")
    assert outcome.resumed and outcome.status == "finished"
    assert len([r for r in rows if r["state"] == "complete"]) == 6 and best.config == {"x": 0.3, "kind": "b"}
