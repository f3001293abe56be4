"""The issue's list, claim by claim, where test_pilot.py does not already cover it: live refresh of a run's
DAG and of a study while `pipe run` / `pipe tune` write from another process, a DAG node's status, time and
cache hit, a node's params / inputs / output, every screen at 80x24, and `pipe tui` on bad stores."""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import threading

import pytest
from pipec.tui import command
from pipec.tui.app import PipeTui
from pipec.tui.screens.detail import DetailScreen
from pipec.tui.screens.diff import DiffScreen
from pipec.tui.screens.help import HelpScreen
from pipec.tui.screens.run import RunScreen
from pipec.tui.screens.study import StudyScreen
from pipec.tui.widgets.dag_tree import DagTree
from pipec.tui.widgets.list_table import ListTable
from pipec.tui.widgets.trials_table import TrialsTable
from textual.widgets import Footer

from .conftest import REPO, press, settle, wait_for
from .test_pilot import open_run, runs_table, text_of

pytestmark = pytest.mark.anyio
SIZE = (100, 30)
GRAPHS = REPO / "tests" / "tui" / "graphs"


def label(screen: RunScreen, node: str) -> str:
    return str(screen.query_one(DagTree)._dag_nodes[node].label)


async def select(pilot, screen: RunScreen, node: str) -> None:
    tree = screen.query_one(DagTree)
    tree.move_cursor(tree._dag_nodes[node])
    await settle(pilot)


def pipe(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipec.compiler.cli", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


async def test_dag_shows_each_nodes_status_time_and_cache_hit(filled_store):
    app = PipeTui(filled_store, poll_s=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_run(pilot, "t00-s01-quickstart-x")  # start memoized by an earlier run
        assert label(screen, "start") == "◆ start cached"
        assert label(screen, "left").startswith("✔ left 500ms") and label(screen, "total").startswith("✔ total 1.00s")
        assert "← right" in label(screen, "total")  # its second input
        await select(pilot, screen, "start")
        assert "status     cached  cache hit" in text_of(screen.query_one("#node-info"))


async def test_node_shows_params_inputs_and_output(filled_store):
    app = PipeTui(filled_store, poll_s=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_run(pilot, "r01-quickstart")
        await select(pilot, screen, "total")
        info = text_of(screen.query_one("#node-info"))
        assert "op core.add v1" in info and "value: 5" in info.split("output", 1)[1].split("\n")[0]
        assert "inputs\n  left: value: 2\n  right: value: 2" in info
        assert '"add": 1.0' in info.split("params", 1)[1]


async def test_run_screen_follows_a_run_live(store_copy):
    app = PipeTui(store_copy, poll_s=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = runs_table(app)
        proc = pipe("run", str(REPO / "examples" / "quickstart.yaml"), "--store", str(store_copy), "--set", "x=7",
                    "--set", "delay=2")
        try:
            await wait_for(pilot, lambda: table.row_count == 11, timeout=30)
            screen = await open_run(pilot, table.visible_keys()[0])
            assert screen.data.run["status"] == "running" and not label(screen, "total").startswith("✔")
            await wait_for(pilot, lambda: label(screen, "total").startswith("✔ total"), timeout=30)
            await wait_for(pilot, lambda: screen.data.run["status"] == "succeeded", timeout=10)
            assert "succeeded" in str(screen.query_one("#run-summary").render())
        finally:
            assert proc.wait(timeout=60) == 0, proc.stderr.read()


async def test_study_refreshes_live_while_pipe_tune_writes(store_copy):
    app = PipeTui(store_copy, poll_s=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        studies = app.screen.query_one("#studies-table", ListTable)
        proc = pipe("tune", str(GRAPHS / "tune_slow.yaml"), "--store", str(store_copy), "--study", "live", "-q")
        try:
            await press(pilot, "2")
            await wait_for(pilot, lambda: studies.row_count == 2, timeout=30)
            studies.move_cursor(row=next(i for i, k in enumerate(studies.visible_keys())
                                         if studies.all_rows[k].cells[0] == "live"))
            await press(pilot, "enter")
            screen = app.screen
            assert isinstance(screen, StudyScreen)
            trials = screen.query_one(TrialsTable)
            assert trials.row_count < 3 or any(t.state != "complete" for t in trials.trials)
            await wait_for(pilot, lambda: trials.row_count == 3
                           and all(t.state == "complete" for t in trials.trials), timeout=30)
            await wait_for(pilot, lambda: "x=0.3" in str(screen.query_one("#study-summary").render()))
        finally:
            assert proc.wait(timeout=60) == 0, proc.stderr.read()


def fits(app, widget, min_height: int = 1) -> bool:
    """The widget is shown whole inside the terminal, at least `min_height` lines high."""
    region, screen = widget.region, app.screen.region
    return region.height >= min_height and region.width > 0 and screen.contains_region(region)


async def test_every_screen_fits_80x24(filled_store):
    app = PipeTui(filled_store, poll_s=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert fits(app, runs_table(app), 10) and fits(app, app.screen.query_one(Footer))
        screen = await open_run(pilot, "r05-rag-offline")
        assert fits(app, screen.query_one(DagTree), 8) and fits(app, screen.query_one(Footer))
        await select(pilot, screen, "retrieval_metrics")
        for tab, widget in (("1", "#node-scroll"), ("2", "#items-table"), ("3", "#llm-table")):
            await press(pilot, tab)
            assert fits(app, screen.query_one(widget), 8), widget
        await press(pilot, "2", "enter")
        assert isinstance(app.screen, DetailScreen) and fits(app, app.screen.query_one("#detail-box"), 15)
        await press(pilot, "escape", "escape", "2", "enter")
        study = app.screen
        assert isinstance(study, StudyScreen) and fits(app, study.query_one(TrialsTable), 8)
        for tab, widget in (("2", "#best-plot"), ("3", "#param-plot")):
            await press(pilot, tab)
            assert fits(app, study.query_one(widget), 10), widget
        await press(pilot, "1", "m", "down", "d")
        assert isinstance(app.screen, DiffScreen) and fits(app, app.screen.query_one("#diff-table"), 10)
        await press(pilot, "escape", "question_mark")
        assert isinstance(app.screen, HelpScreen) and fits(app, app.screen.query_one("#help-box"), 15)


def tui_args(store) -> argparse.Namespace:
    return argparse.Namespace(store=str(store), poll=1.0)


def test_pipe_tui_reports_an_old_schema_store_cleanly(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    sqlite3.connect(old / "store.db").execute("CREATE TABLE runs (id TEXT)").connection.commit()
    proc = subprocess.run([sys.executable, "-m", "pipec.compiler.cli", "tui", "--store", str(old)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "old schema" in proc.stderr and "Traceback" not in proc.stderr


def test_pipe_tui_opens_on_a_locked_store_and_retries(store_copy, monkeypatch):
    """A writer holding the lock is not fatal: the screen opens (and says so) instead of exiting."""
    opened = []
    monkeypatch.setattr(PipeTui, "run", lambda self: opened.append(self.store_path))
    monkeypatch.setattr(command, "has_terminal", lambda: True)  # pytest's stdout is not a terminal
    db = sqlite3.connect(store_copy / "store.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=DELETE")
    db.execute("BEGIN EXCLUSIVE")
    try:
        assert command.run(tui_args(store_copy)) == 0
    finally:
        db.execute("ROLLBACK")
        db.close()
    assert opened == [store_copy]


async def test_the_store_is_read_only_in_workers(filled_store, monkeypatch):
    """The UI never blocks on SQLite: every query of a walk through all screens runs off the UI thread."""
    from pipec.compiler.store.connection import Connection

    threads = []
    original = Connection.rows

    def spy(self, *args):
        threads.append(threading.get_ident())
        return original(self, *args)

    monkeypatch.setattr(Connection, "rows", spy)
    app = PipeTui(filled_store, poll_s=0.1)
    async with app.run_test(size=SIZE) as pilot:
        ui = threading.get_ident()
        await settle(pilot)
        screen = await open_run(pilot, "r04-llm-extract")
        await select(pilot, screen, "facts")
        await press(pilot, "2", "3", "enter", "escape", "a", "escape", "2", "enter", "m", "down", "d", "escape", "r")
        await pilot.pause(0.3)
        await settle(pilot)
    assert len(threads) > 20 and ui not in threads
