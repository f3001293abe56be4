"""The TUI's study screen shows the trials of a parallel study (`pipe tune --workers 2`) running together, live."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from pipec.tui.app import PipeTui
from pipec.tui.screens.study import StudyScreen
from pipec.tui.widgets.list_table import ListTable
from pipec.tui.widgets.trials_table import TrialsTable

from .conftest import press, settle, wait_for

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
GRAPH = """
pipeline: tui-tune-parallel
params: {x: 0.0}
nodes:
  objective: {op: tune.synthetic, params: {x: "${x}", sleep: 4.0}}
tune:
  objective: objective.score
  strategy: grid
  trials: 3
  space: {x: {low: 0.0, high: 0.6, points: 3}}
"""


async def test_study_screen_shows_parallel_trials_running_together(tmp_path):
    (tmp_path / "g.yaml").write_text(GRAPH, encoding="utf-8")
    store = tmp_path / ".pipe"
    proc = subprocess.Popen([sys.executable, "-m", "pipec.compiler.cli", "tune", str(tmp_path / "g.yaml"),
                             "--store", str(store), "--study", "par", "--workers", "2", "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (store / "store.db").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        app = PipeTui(store, poll_s=0.1)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await press(pilot, "2")
            studies = app.screen.query_one("#studies-table", ListTable)
            await wait_for(pilot, lambda: studies.row_count == 1, timeout=60)
            await press(pilot, "enter")
            screen = app.screen
            assert isinstance(screen, StudyScreen)
            trials = screen.query_one(TrialsTable)
            # trial 0 runs alone first; trials 1 and 2 then run at the same time, and the screen shows both
            await wait_for(pilot, lambda: sum(t.state == "running" for t in trials.trials) == 2, timeout=90)
            await wait_for(pilot, lambda: trials.row_count == 3
                           and all(t.state == "complete" for t in trials.trials), timeout=90)
    finally:
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
