"""The TUI's data layer without a screen: the read-only reader, paging, formatting, the DAG, study maths."""

from __future__ import annotations

import sqlite3

import pytest
from pipec.compiler.errors import StoreError
from pipec.tui.data import fmt
from pipec.tui.data.dag import parents, spanning_tree
from pipec.tui.data.reader import StoreReader
from pipec.tui.data.study import best_so_far, diff, score_against, study_view

from .storefill import STUDY_ID, TRIAL_XS


def test_reader_lists_runs_and_studies(filled_store):
    reader = StoreReader(filled_store)
    runs = reader.runs()
    assert len(runs) == 10 and runs[0]["id"] == "t04-s01-quickstart-x"  # newest first
    (study,) = reader.studies()
    assert study["trials"] == len(TRIAL_XS) and study["complete"] == len(TRIAL_XS) - 1
    assert study["best_max"] == 2 * 6 + 1  # quickstart: x + x + 1, best x = 6


def test_reader_pages_llm_calls_and_items(filled_store):
    reader = StoreReader(filled_store)
    every = reader.llm_page("r04-llm-extract", None, 0, 100)
    assert every.total == 10 and len(every.rows) == 10
    page = reader.llm_page("r04-llm-extract", "facts", 2, 2)
    assert page.total == 6 and [r["id"] for r in page.rows] == [r["id"] for r in every.rows
                                                                if r["node"] == "facts"][2:4]
    assert reader.llm_page("r04-llm-extract", None, 0, 100, "Turing").total >= 1
    assert reader.llm_page("r04-llm-extract", None, 0, 100, "no such text anywhere").total == 0
    key = next(n["cache_key"] for n in reader.node_runs("r05-rag-offline") if n["node"] == "retrieval_metrics")
    items = reader.items_page(key, 0, 5)
    assert items.total > 5 and len(items.rows) == 5 and "hits" in items.rows[0]
    assert reader.items_page(key, 0, 5, "q03").total == 1


def test_reader_reports_missing_old_and_foreign_stores(tmp_path):
    with pytest.raises(StoreError, match="no run store"):
        StoreReader(tmp_path / "nowhere")
    old = tmp_path / "old"
    old.mkdir()
    db = sqlite3.connect(old / "store.db")
    db.execute("CREATE TABLE runs (id TEXT)")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="old schema"):
        StoreReader(old)


def test_reader_reports_a_locked_store(store_copy):
    db = sqlite3.connect(store_copy / "store.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=DELETE")
    db.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="locked"):
            StoreReader(store_copy)
    finally:
        db.execute("ROLLBACK")
        db.close()


def test_data_version_moves_on_another_connections_commit(store_copy):
    reader = StoreReader(store_copy)
    before = reader.data_version()
    assert reader.data_version() == before
    db = sqlite3.connect(store_copy / "store.db")
    with db:
        db.execute("UPDATE runs SET status='failed' WHERE id='r01-quickstart'")
    db.close()
    assert reader.data_version() != before


def test_dag_from_config():
    config = {"nodes": {"a": {}, "b": {"inputs": {"x": "a"}}, "c": {"inputs": {"x": "a.out"}},
                        "d": {"inputs": {"v": ["c", "b.value"]}}}}
    assert parents(config) == {"a": [], "b": ["a"], "c": ["a"], "d": ["c", "b"]}
    assert spanning_tree(["a", "b", "c", "d"], parents(config)) == {None: ["a"], "a": ["b", "c"], "b": [],
                                                                    "c": ["d"], "d": []}


def test_formatting():
    assert fmt.seconds(0.0123) == "12ms" and fmt.seconds(75) == "75.00s" and fmt.seconds(3700) == "1h01m"
    assert fmt.usd(0) == "$0" and fmt.usd(0.00012) == "$0.0001"
    hits = [{"chunk_id": "a#0", "text": "alpha", "score": 0.91}, {"chunk_id": "b#1", "score": 0.5}]
    assert fmt.cell(hits) == "2 items top score=0.91: alpha"
    assert "[1] score=0.91" in fmt.detail({"hits": hits})
    assert fmt.flat_metrics('{"a": {"f1": 0.5}, "b": {"f1": 0.7, "em": 1}}') == {"a.f1": 0.5, "b.f1": 0.7, "em": 1}
    assert fmt.uncanonical({"add": {"__float__": "1.0"}}) == {"add": 1.0}
    assert fmt.messages_text('[{"role": "user", "content": "hi"}]') == "[user]\nhi"


def test_study_maths(filled_store):
    reader = StoreReader(filled_store)
    view = study_view(reader.study(STUDY_ID), reader.trials(STUDY_ID))
    assert view.maximize and view.metric == "total" and view.best.number == 4 and view.best.config["x"] == 6
    numbers, values, best = best_so_far(view)
    assert numbers == [0, 1, 2, 4] and values == [3.0, 9.0, 5.0, 13.0] and best == [3.0, 9.0, 9.0, 13.0]
    xs, ys, labels = score_against(view, "x")
    assert xs == [1, 4, 2, 6] and labels is None
    xs, ys, labels = score_against(view, "mode")
    assert labels == ["even", "odd"] and xs == [1, 0, 0, 0]
    rows = {(s, k): differs for s, k, _, _, differs in diff(view.trials[0], view.trials[1])}
    assert rows[("config", "x")] and rows[("metrics", "total")] and not rows[("trial", "state")]
