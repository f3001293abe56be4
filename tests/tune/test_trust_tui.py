"""The TUI study screen of a study with two objectives: a Front tab with the scatter and the front."""

from __future__ import annotations

import pytest
from pipec.compiler.store import Store
from pipec.optimizers.study import Budgets, Tuner
from pipec.tui.app import PipeTui
from pipec.tui.pilot import settle
from pipec.tui.screens.study import StudyScreen
from pipec.tui.widgets.front_plot import FrontPlot

from .helpers import write_graph

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def two_objective_study(tmp_path):
    tune = {"objective": None, "objectives": [{"metric": "objective.score", "direction": "maximize"},
                           {"metric": "objective.loss", "direction": "maximize"}],  # in conflict: all on the front
            "space": {"x": [0.0, 0.3, 0.6], "kind": ["a", "b"]}, "strategy": "grid"}
    graph = write_graph(tmp_path, tune)
    store = Store(tmp_path / ".pipe")
    outcome = Tuner(graph, store, budgets=Budgets(trials=4)).run()
    store.close()
    return tmp_path / ".pipe", outcome


async def test_study_screen_shows_the_pareto_front(two_objective_study):
    store, outcome = two_objective_study
    app = PipeTui(store, poll_s=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.push_screen(StudyScreen(outcome.study_id))
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        screen = app.screen
        assert screen.query_one("#study-tabs").active == "front"
        front = screen.data.front
        assert front.metrics == ["objective.score", "objective.loss"] and len(front.numbers) == 4
        assert sorted(front.front) == sorted({t.number for t in outcome.history.trials})  # conflicting: all
        assert screen.query(FrontPlot)


def test_front_data_of_a_single_objective_study_is_none():
    from pipec.tui.widgets.front_plot import front_data

    assert front_data({"objective_json": '{"metric": "a.b", "direction": "maximize"}'}, []) is None


def test_the_home_list_shows_a_dead_running_study_as_interrupted(tmp_path):
    import json

    from pipec.compiler.store import open_store_readonly
    from pipec.optimizers.records import StudyRecords
    from pipec.tui.data.overview import study_row

    graph = write_graph(tmp_path, {"space": {"kind": ["a", "b"]}})
    store = Store(tmp_path / ".pipe")
    outcome = Tuner(graph, store, budgets=Budgets(trials=2)).run()
    records = StudyRecords(store)
    settings = json.loads(records.find(outcome.name)["settings_json"])
    records.set_status(outcome.study_id, "running", {**settings, "pid": 2 ** 22 + 12345})  # no such process
    store.close()
    reader = open_store_readonly(tmp_path / ".pipe")
    (summary,) = reader.studies()
    reader.close()
    assert study_row(summary.to_dict()).cells[2] == "interrupted"
