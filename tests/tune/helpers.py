"""Graphs over the synthetic objective (tune.synthetic: optimum x=0.3, y=4, kind=b, a step-by-step prompt)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pipec.compiler.store import Store
from pipec.optimizers.study import Budgets, Tuner, best_trial

OPTIMUM = 1.1  # x=0.3, y=4, kind=b (without the prompt bonus)

GRID_SPACE = {
    "x": {"low": 0.0, "high": 0.6, "points": 5},
    "objective.y": {"low": 0, "high": 8, "step": 2},
    "kind": ["a", "b", "c"],
}


def write_graph(folder: Path, tune: dict[str, Any], params: dict[str, Any] | None = None,
                name: str = "graph.yaml") -> Path:
    node = {"x": "${x}", "y": 0, "kind": "${kind}", "questions": "${questions}", **(params or {})}
    data = {
        "pipeline": "tune-test",
        "params": {"x": 0.0, "kind": "a", "questions": None},
        "nodes": {"objective": {"op": "tune.synthetic", "params": node}},
        "tune": {"objective": "objective.score", **tune},
    }
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def run_study(path: Path, store_dir: Path, **kwargs: Any):
    budgets = kwargs.pop("budgets", None) or Budgets(trials=kwargs.pop("trials", 100))
    store = Store(store_dir)
    try:
        outcome = Tuner(path, store, budgets=budgets, **kwargs).run()
        return outcome, best_trial(outcome, outcome.history.trials), store.query(
            "SELECT * FROM trials WHERE study_id=? ORDER BY number", (outcome.study_id,))
    finally:
        store.close()
