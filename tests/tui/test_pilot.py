"""Drive `pipe tui` with real keys over a store filled by real runs (Pilot, headless)."""

from __future__ import annotations

import io
import sqlite3
import subprocess
import sys

import pytest
from pipec.compiler.store import Store
from pipec.tui.app import PipeTui
from pipec.tui.data.reader import StoreReader
from pipec.tui.screens.detail import DetailScreen
from pipec.tui.screens.diff import DiffScreen
from pipec.tui.screens.help import HelpScreen
from pipec.tui.screens.run import RunScreen
from pipec.tui.screens.study import StudyScreen
from pipec.tui.widgets.dag_tree import DagTree
from pipec.tui.widgets.list_table import ListTable
from pipec.tui.widgets.paged_table import PagedTable
from pipec.tui.widgets.trials_table import TrialsTable
from rich.console import Console

from .conftest import REPO, press, settle, wait_for

SIZE = (100, 30)
pytestmark = pytest.mark.anyio


def runs_table(app) -> ListTable:
    return app.screen.query_one("#runs-table", ListTable)


def text_of(widget) -> str:
    """What a Static shows, as plain text (rich renderables included)."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def message(app) -> str:
    return str(app.screen.query_one("#home-message").render())


async def open_run(pilot, run_id: str) -> RunScreen:
    table = runs_table(pilot.app)
    table.move_cursor(row=table.visible_keys().index(run_id))
    await press(pilot, "enter")
    assert isinstance(pilot.app.screen, RunScreen) and pilot.app.screen.run_id == run_id
    return pilot.app.screen


async def test_home_lists_filters_and_sorts_runs(filled_store):
    app = PipeTui(filled_store, poll_s=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = runs_table(app)
        assert table.row_count == 10 and table.visible_keys()[0] == "t04-s01-quickstart-x"
        await press(pilot, "slash", *"rag", "enter")
        assert table.visible_keys() == ["r05-rag-offline"]
        await press(pilot, "escape")
        assert table.row_count == 10
        await press(pilot, "s")  # the next sort column after 'started': time, longest first
        assert table.sort_by == "time" and table.visible_keys()[0] == "t04-s01-quickstart-x"
        await press(pilot, "S")
        assert table.visible_keys()[0] == "r01-quickstart"
        await press(pilot, *"ssssss")  # around to graph
        assert table.sort_by == "graph" and table.visible_keys()[-1] == "r03-failing"


async def test_run_screen_shows_dag_node_and_examples(filled_store):
    app = PipeTui(filled_store, poll_s=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_run(pilot, "r05-rag-offline")
        tree = screen.query_one(DagTree)
        assert set(tree._dag_nodes) == {n["node"] for n in StoreReader(filled_store).node_runs("r05-rag-offline")}
        assert screen.node == "data"
        await press(pilot, "down")
        assert screen.node != "data"
        tree.move_cursor(tree._dag_nodes["retrieval_metrics"])
        await settle(pilot)
        await press(pilot, "2")
        items = screen.query_one("#items-table", PagedTable)
        assert items.page_total == 28 and items.row_count == 28 and "hits" in items._shown_columns
        await press(pilot, "down", "enter")
        assert isinstance(app.screen, DetailScreen)
        body = str(app.screen.query_one("#detail-body").render())
        assert "hits:" in body and "score=" in body and "q02" in body
        await press(pilot, "escape", "slash", *"q07", "enter")
        assert items.page_total == 1 and items.current()["id"] == "q07"


async def test_failed_run_shows_the_error(filled_store):
    app = PipeTui(filled_store, poll_s=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_run(pilot, "r03-failing")
        assert "the index file is missing" in str(screen.query_one("#run-summary").render())
        tree = screen.query_one(DagTree)
        tree.move_cursor(tree._dag_nodes["broken"])
        await settle(pilot)
        assert "the index file is missing" in text_of(screen.query_one("#node-info"))
        assert "skipped" in str(tree._dag_nodes["after"].label)


async def test_llm_calls_of_a_node_searchable_with_detail(filled_store):
    app = PipeTui(filled_store, poll_s=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_run(pilot, "r04-llm-extract")
        tree = screen.query_one(DagTree)
        tree.move_cursor(tree._dag_nodes["facts"])
        await settle(pilot)
        await press(pilot, "3")
        calls = screen.query_one("#llm-table", PagedTable)
        assert calls.page_total == 6 and {r["node"] for r in calls.rows_data} == {"facts"}
        await press(pilot, "a")  # all the run's calls
        assert calls.page_total == 10
        await press(pilot, "slash", *"Turing")
        await pilot.pause(0.4)  # the search is debounced
        await settle(pilot)
        assert calls.page_total >= 1 and calls.search == "Turing"
        await press(pilot, "enter", "enter")  # leave the search box, open the call
        assert isinstance(app.screen, DetailScreen)
        body = str(app.screen.query_one("#detail-body").render())
        assert "--- messages ---" in body and "Alan Turing" in body and "model: fake/bios" in body
        await press(pilot, "escape", "escape")
        assert not isinstance(app.screen, RunScreen)


async def test_paging_through_a_large_call_log(store_copy, monkeypatch):
    monkeypatch.setattr(PagedTable, "PAGE_SIZE", 10)
    db = sqlite3.connect(store_copy / "store.db")
    with db:
        db.executemany(
            "INSERT INTO llm_calls (run_id, node, item, model, request_hash, messages_json, response,"
            " prompt_tokens, completion_tokens, cost_usd, latency_s, cache_hit, created_at)"
            " VALUES ('r01-quickstart', 'total', ?, 'fake/x', ?, '[]', ?, 3, 4, 0.001, 0.1, 0, 0)",
            [(f"i{i}", f"h{i}", f"reply {i}") for i in range(25)])
    db.close()
    app = PipeTui(store_copy, poll_s=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_run(pilot, "r01-quickstart")
        await press(pilot, "a", "3")
        calls = screen.query_one("#llm-table", PagedTable)
        assert calls.page_total == 25 and calls.row_count == 10
        await press(pilot, *["down"] * 10)  # past the last row: the next page, cursor on its first row
        assert calls.page_offset == 10 and calls.current()["item"] == "i10"
        await press(pilot, "right_square_bracket")
        assert calls.page_offset == 20 and calls.row_count == 5
        await press(pilot, "up")
        assert calls.page_offset == 10 and calls.current()["item"] == "i19"
        assert calls.border_subtitle == "rows 11-20 of 25"


async def test_study_trials_best_plots_and_diff(filled_store):
    app = PipeTui(filled_store, poll_s=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "2", "enter")
        screen = app.screen
        assert isinstance(screen, StudyScreen)
        trials = screen.query_one(TrialsTable)
        assert trials.row_count == 5 and str(trials.get_row_at(4)[0]) == "★4"
        assert "best: trial 4" in str(screen.query_one("#study-summary").render())
        await press(pilot, "m", "down", "d")
        assert isinstance(app.screen, DiffScreen)
        diff_rows = [app.screen.query_one("#diff-table").get_row_at(i) for i in range(3)]
        assert all(str(r[0]) == "≠" for r in diff_rows)
        await press(pilot, "escape", "v")
        assert screen.query_one("#study-tabs").active == "params" and screen.param_index == 1
        await press(pilot, "1", "enter")
        assert isinstance(app.screen, RunScreen) and app.screen.run_id == "t01-s01-quickstart-x"


async def test_help_screen_lists_the_keys_of_the_screen(filled_store):
    app = PipeTui(filled_store, poll_s=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert ("/", "Filter") in app.screen.keys and any(d == "Sort" for _, d in app.screen.keys)
        await press(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_live_refresh_while_pipe_run_writes(store_copy):
    app = PipeTui(store_copy, poll_s=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = runs_table(app)
        before = set(table.visible_keys())
        assert len(before) == 10
        proc = subprocess.Popen([sys.executable, "-m", "pipec.compiler.cli", "run", str(REPO / "examples" /
                                 "quickstart.yaml"), "--store", str(store_copy), "--set", "x=42", "--set",
                                 "delay=0.6"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            await wait_for(pilot, lambda: table.row_count == 11, timeout=30)
            (new,) = set(table.visible_keys()) - before
            assert table.all_rows[new].cells[0] == "quickstart"
            await wait_for(pilot, lambda: table.all_rows[new].cells[1] == "succeeded", timeout=30)
        finally:
            assert proc.wait(timeout=60) == 0, proc.stderr.read()


async def test_empty_store_says_how_to_fill_it(tmp_path):
    Store(tmp_path / "empty").close()
    app = PipeTui(tmp_path / "empty", poll_s=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "No runs yet" in message(app) and runs_table(app).row_count == 0


async def test_missing_and_old_stores_give_a_message_not_a_crash(tmp_path):
    app = PipeTui(tmp_path / "nowhere", poll_s=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "no run store" in message(app)
    old = tmp_path / "old"
    old.mkdir()
    sqlite3.connect(old / "store.db").execute("CREATE TABLE runs (id TEXT)").connection.commit()
    app = PipeTui(old, poll_s=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "old schema" in message(app)


async def test_locked_store_recovers_when_released(store_copy):
    db = sqlite3.connect(store_copy / "store.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=DELETE")
    db.execute("BEGIN EXCLUSIVE")
    app = PipeTui(store_copy, poll_s=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "locked" in message(app), timeout=20)
        db.execute("ROLLBACK")
        db.close()
        await wait_for(pilot, lambda: runs_table(app).row_count == 10, timeout=20)
        assert app.problem is None


def test_pipe_tui_reports_a_missing_store_cleanly(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pipec.compiler.cli", "tui", "--store", str(tmp_path / "no")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.startswith("error: no run store") and "Traceback" not in proc.stderr


def test_pipe_help_does_not_import_textual():
    code = ("import sys; from pipec.compiler.cli import build_parser; build_parser(['tui']);"
            " import pipec.tui.command; print('textual' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
