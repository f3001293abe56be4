"""Store text with square brackets (prompt templates' "[/INST]", a model echoing "[bold]") is shown as it is,
never read as console markup: not styled, not dropped, and no MarkupError crash while rendering a table."""

from __future__ import annotations

import sqlite3

import pytest
from pipec.tui.app import PipeTui
from pipec.tui.screens.run import RunScreen
from pipec.tui.widgets.cells import literal
from pipec.tui.widgets.list_table import ListTable
from pipec.tui.widgets.paged_table import PagedTable
from pipec.tui.widgets.trials_table import TrialsTable
from rich.text import Text
from textual.geometry import Region

from .conftest import press, settle

pytestmark = pytest.mark.anyio
RESPONSE = "[/INST] [bold]x[/bold]"
GRAPH = "[bold]g[/bold]"


def painted(table) -> str:
    """The characters a table paints on screen, line by line."""
    lines = table.render_lines(Region(0, 0, table.size.width, table.size.height))
    return "\n".join("".join(segment.text for segment in line) for line in lines)


def test_literal_keeps_brackets_and_other_cells():
    cells = literal(["[/INST]", "[bold]x[/bold]", Text("styled", style="red"), 3])
    assert [c.plain if isinstance(c, Text) else c for c in cells] == ["[/INST]", "[bold]x[/bold]", "styled", 3]
    assert cells[1].spans == [] and cells[2].style == "red"


async def test_bracketed_store_text_renders_literally(store_copy):
    db = sqlite3.connect(store_copy / "store.db")
    with db:
        db.execute("UPDATE runs SET graph_name=? WHERE id='r01-quickstart'", (GRAPH,))
        db.execute("INSERT INTO llm_calls (run_id, node, item, model, request_hash, messages_json, response,"
                   " prompt_tokens, completion_tokens, cost_usd, latency_s, cache_hit, created_at)"
                   " VALUES ('r01-quickstart', 'total', '[i]', 'fake/x', 'h', '[]', ?, 3, 4, 0, 0.1, 0, 0)",
                   (RESPONSE,))
        db.execute("UPDATE trials SET config_json=? WHERE number=0", ('{"x": "[bold]x[/bold]"}',))
    db.close()
    app = PipeTui(store_copy, poll_s=None)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        runs = app.screen.query_one("#runs-table", ListTable)
        assert GRAPH in painted(runs)
        runs.move_cursor(row=runs.visible_keys().index("r01-quickstart"))
        await press(pilot, "enter", "a", "3")
        assert isinstance(app.screen, RunScreen)
        calls = app.screen.query_one("#llm-table", PagedTable)
        assert calls.page_total == 1
        shown = painted(calls)
        assert RESPONSE in shown and "[i]" in shown
        await press(pilot, "escape", "2", "enter")
        trials = app.screen.query_one(TrialsTable)
        assert "[bold]x[/bold]" in painted(trials)


async def test_store_problem_text_is_not_markup(tmp_path):
    where = tmp_path / "[bold]nowhere[/x]"
    app = PipeTui(where, poll_s=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert f"no run store at {where}" in str(app.screen.query_one("#home-message").render())
