"""SVG snapshots of the main screens at fixed terminal sizes, over the pinned store of storefill.py.

Update after an intended change of the look: `pytest tests/tui/test_snapshots.py --snapshot-update`, then
review the SVGs under __snapshots__/ (pytest-textual-snapshot writes a report of differences on failure).
"""

from __future__ import annotations

import pytest
from pipec.tui.app import PipeTui
from pipec.tui.widgets.dag_tree import DagTree

from .conftest import press, settle

WIDE = (100, 30)
SMALL = (80, 24)


# Screens of core-op runs are the stablest; the RAG and LLM ones change when those ops' outputs change (then
# review and update the snapshots).


def make_app(store) -> PipeTui:
    app = PipeTui(store, poll_s=None)
    app.sub_title = ".pipe"  # the fixture's folder is a random temporary path
    return app


def keys(*names: str, node: str | None = None, run: str | None = None):
    """A run_before that opens `run` (from the home list), selects `node`, then presses `names`."""

    async def run_before(pilot) -> None:
        pilot.app.sub_title = ".pipe"
        await settle(pilot)
        if run is not None:
            table = pilot.app.screen.query_one("#runs-table")
            table.move_cursor(row=table.visible_keys().index(run))
            await press(pilot, "enter")
        if node is not None:
            tree = pilot.app.screen.query_one(DagTree)
            tree.move_cursor(tree._dag_nodes[node])
            await settle(pilot)
        await press(pilot, *names)
        await pilot.pause(0.3)  # debounced inputs, cursor blink
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", [WIDE, SMALL], ids=["100x30", "80x24"])
def test_home_runs(snap_compare, filled_store, size):
    assert snap_compare(make_app(filled_store), terminal_size=size, run_before=keys())


def test_home_studies(snap_compare, filled_store):
    assert snap_compare(make_app(filled_store), terminal_size=WIDE, run_before=keys("2"))


@pytest.mark.parametrize("size", [WIDE, SMALL], ids=["100x30", "80x24"])
def test_run_dag_and_node(snap_compare, filled_store, size):
    assert snap_compare(make_app(filled_store), terminal_size=size,
                        run_before=keys(run="r03-failing", node="broken"))


def test_run_examples(snap_compare, filled_store):
    assert snap_compare(make_app(filled_store), terminal_size=WIDE,
                        run_before=keys("2", run="r05-rag-offline", node="answer_metrics"))


def test_run_llm_calls(snap_compare, filled_store):
    assert snap_compare(make_app(filled_store), terminal_size=WIDE,
                        run_before=keys("3", run="r04-llm-extract", node="facts"))


def test_llm_call_detail(snap_compare, filled_store):
    assert snap_compare(make_app(filled_store), terminal_size=WIDE,
                        run_before=keys("3", "enter", run="r04-llm-extract", node="facts"))


def test_study_trials(snap_compare, filled_store):
    assert snap_compare(make_app(filled_store), terminal_size=WIDE, run_before=keys("2", "enter"))


def test_study_best_plot(snap_compare, filled_store):
    assert snap_compare(make_app(filled_store), terminal_size=WIDE, run_before=keys("2", "enter", "2"))


def test_study_param_plot(snap_compare, filled_store):
    assert snap_compare(make_app(filled_store), terminal_size=WIDE, run_before=keys("2", "enter", "v", "v"))


def test_trial_diff(snap_compare, filled_store):
    assert snap_compare(make_app(filled_store), terminal_size=WIDE,
                        run_before=keys("2", "enter", "m", "down", "down", "d"))


def test_help(snap_compare, filled_store):
    assert snap_compare(make_app(filled_store), terminal_size=SMALL, run_before=keys("question_mark"))
