"""Guards of the tables' performance fixes: cleared render caches are freed at once (no cyclic garbage for
the full collector), and the heap is frozen once after the first screen."""

from __future__ import annotations

import gc

import pytest
from pipec.tui.app import PipeTui
from pipec.tui.widgets.paged_table import PagedTable
from textual.geometry import Region

from .conftest import press, settle
from .test_issue_list import select
from .test_pilot import open_run

pytestmark = pytest.mark.anyio


async def open_examples_table(pilot) -> PagedTable:
    """The per-example rows of the RAG run's retrieval_metrics node (28 rows)."""
    await settle(pilot)
    screen = await open_run(pilot, "r05-rag-offline")
    await select(pilot, screen, "retrieval_metrics")
    await press(pilot, "2")
    return screen.query_one("#items-table", PagedTable)


async def test_a_cleared_page_leaves_no_cyclic_garbage(filled_store, monkeypatch):
    monkeypatch.setattr(PipeTui, "freeze_heap", lambda self: None)
    app = PipeTui(filled_store, poll_s=None)
    async with app.run_test(size=(100, 30)) as pilot:
        table = await open_examples_table(pilot)
        table.render_lines(Region(0, 0, table.size.width, table.size.height))  # fill the render caches
        assert table.row_count == 28 and len(table._row_render_cache) > 0
        gc.collect()
        gc.disable()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            table.clear()
            gc.collect()
            links = [o for o in gc.garbage if isinstance(o, list) and len(o) == 4
                     and isinstance(o[0], list) and isinstance(o[1], list)]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
        assert links == []  # textual's LRUCache.clear() alone leaves its [prev, next, key, value] rings here


async def test_heap_is_frozen_once_after_the_first_screen(filled_store, monkeypatch):
    calls = []
    monkeypatch.setattr("pipec.tui.app.gc.freeze", lambda: calls.append(1))
    app = PipeTui(filled_store, poll_s=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.action_refresh()
        await settle(pilot)
        assert calls == [1] and app._heap_frozen


async def test_page_down_and_up_cross_page_edges(filled_store, monkeypatch):
    monkeypatch.setattr(PagedTable, "PAGE_SIZE", 10)
    app = PipeTui(filled_store, poll_s=None)
    async with app.run_test(size=(100, 30)) as pilot:
        table = await open_examples_table(pilot)
        assert table.page_total == 28 and table.page_offset == 0
        await press(pilot, "pagedown", "pagedown")  # to the page's last row, then over the edge
        assert table.page_offset == 10 and table.cursor_row == 0
        await press(pilot, "pageup")  # back over the edge: the previous page, on its last row
        assert table.page_offset == 0 and table.cursor_row == 9
