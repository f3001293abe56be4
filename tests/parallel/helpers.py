"""Graphs and study runners for the parallel-study tests (the synthetic objective of tune.synthetic)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pipec.compiler.store import Store
from pipec.optimizers.parallel import ParallelTuner
from pipec.optimizers.study import Budgets, Tuner, best_trial

SPACE = {"x": {"low": 0.0, "high": 0.6, "points": 4}, "kind": ["a", "b", "c"]}


def write_graph(folder: Path, tune: dict[str, Any], shared_sleep: float = 0.2, sleep: float = 0.0,
                name: str = "graph.yaml", objective: dict[str, Any] | None = None) -> Path:
    """`shared` has the same key in every trial (a memoized node concurrent trials both need); `objective`
    depends on the config."""
    data = {
        "pipeline": "parallel-test",
        "params": {"x": 0.0, "kind": "a"},
        "nodes": {
            "shared": {"op": "core.sleep", "params": {"seconds": shared_sleep, "steps": 1}},
            "objective": {"op": "tune.synthetic",
                          "params": {"x": "${x}", "kind": "${kind}", "sleep": sleep, **(objective or {})}},
        },
        "tune": {"objective": "objective.score", "space": SPACE, **tune},
    }
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def run_study(path: Path, store_dir: Path, workers: int | None = None, trials: int = 100, **kwargs: Any):
    """Serial (workers None) or parallel; returns (outcome, best, trial rows, store path)."""
    store = Store(store_dir)
    try:
        budgets = kwargs.pop("budgets", None) or Budgets(trials=trials)
        if workers is None:
            tuner = Tuner(path, store, budgets=budgets, **kwargs)
        else:
            tuner = ParallelTuner(path, store, budgets=budgets, workers=workers, **kwargs)
        outcome = tuner.run()
        rows = store.query("SELECT * FROM trials WHERE study_id=? ORDER BY number", (outcome.study_id,))
        return outcome, best_trial(outcome, outcome.history.trials), rows
    finally:
        store.close()


def executions(store_dir: Path, rows: list[dict], node: str) -> dict[str, int]:
    """How many times each key of `node` was computed (not taken from the memo) by the trials `rows`, from
    the node rows of their runs in the store."""
    store = Store(store_dir, readonly=True)
    counts: dict[str, int] = {}
    try:
        for trial in rows:
            for n in store.node_runs(trial["run_id"]):
                if n["node"] == node:
                    computed = n["status"] == "succeeded" and not n["cache_hit"]
                    counts[n["cache_key"]] = counts.get(n["cache_key"], 0) + int(computed)
    finally:
        store.close()
    return counts


def configs(rows: list[dict]) -> list[str]:
    return sorted(r["config_json"] for r in rows)


def passages(folder: Path, n: int) -> None:
    """`n` passages of different lengths in folder/p.jsonl."""
    rows = [{"id": f"p{i}", "title": f"T{i % 7}", "text": f"passage {i} about topic {i % 5} " + "w " * (i % 13)}
            for i in range(n)]
    (folder / "p.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def stored_blobs(store_dir: Path, keys: dict[str, str]) -> dict[str, bytes]:
    """The stored bytes of each node's memoized result (node -> key given)."""
    store = Store(store_dir, readonly=True)
    try:
        out = {}
        for node, key in keys.items():
            out[node] = store.stored_bytes(key)
        return out
    finally:
        store.close()


def node_times(store_dir: Path, rows: list[dict], node: str) -> list[tuple[float, float]]:
    store = Store(store_dir, readonly=True)
    try:
        return sorted((n["started_at"], n["ended_at"]) for r in rows for n in store.node_runs(r["run_id"])
                      if n["node"] == node)
    finally:
        store.close()
