"""A strategy installed from a temporary package (an installed distribution with an entry point in the group
`pipec.strategies`) is found by name, passes the conformance checks and runs a real study."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pipec.optimizers.strategies import STRATEGIES
from pipec.optimizers.strategies import conformance as c
from tune.helpers import GRID_SPACE, OPTIMUM, run_study, write_graph

PLUGIN = Path(__file__).parent / "plugin" / "pipec_demo_search.py"


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """What `pip install` leaves: the module and a dist-info folder with the entry point, on sys.path."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(PLUGIN, site / PLUGIN.name)
    info = site / "pipec_demo_search-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pipec-demo-search\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[pipec.strategies]\nlocal = pipec_demo_search:LocalSearch\n")
    monkeypatch.syspath_prepend(str(site))
    STRATEGIES.refresh()
    yield STRATEGIES
    monkeypatch.undo()
    STRATEGIES.refresh()
    STRATEGIES._classes.pop("local", None)


def test_plugin_is_registered_and_conforms(installed):
    assert "local" in installed and "local" not in STRATEGIES._classes  # found through the entry point
    c.check_all(installed["local"])


def test_plugin_runs_a_study_by_name(installed, tmp_path):
    graph = write_graph(tmp_path, {"strategy": "local", "space": GRID_SPACE, "seed": 1})
    outcome, best, rows = run_study(graph, tmp_path / ".pipe", trials=30)
    assert outcome.strategy == "local" and any((r["note"] or "").startswith("local: moved") for r in rows)
    assert best.score > OPTIMUM - 0.1


def test_plugin_absent_after_uninstall(installed, monkeypatch):
    monkeypatch.undo()
    STRATEGIES.refresh()
    STRATEGIES._classes.pop("local", None)
    assert "local" not in STRATEGIES
