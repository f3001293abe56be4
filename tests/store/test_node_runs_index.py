"""Migration 5 drops the node_runs(cache_key) index: a store written before it upgrades with its node rows
unchanged, and every read of node runs (by run, by run and node, counts) answers as before."""

from __future__ import annotations

import gc
import sqlite3

from pipec.compiler.collector import paused
from pipec.compiler.store import MIGRATIONS, Store


def _indexes(db_path) -> set[str]:
    db = sqlite3.connect(db_path)
    try:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='node_runs'")}
    finally:
        db.close()


def _store_at_version_4(folder) -> None:
    folder.mkdir()
    db = sqlite3.connect(folder / "store.db", isolation_level=None)
    for i in range(4):
        for statement in MIGRATIONS[i].split(";"):
            if statement.strip():
                db.execute(statement)
    db.execute("PRAGMA user_version = 4")
    db.close()


def test_an_old_store_loses_the_index_and_keeps_its_node_rows(tmp_path):
    folder = tmp_path / "s"
    _store_at_version_4(folder)
    assert "node_runs_key" in _indexes(folder / "store.db")
    Store(folder).close()  # migrated on open
    db = sqlite3.connect(folder / "store.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    db.close()
    assert "node_runs_key" not in _indexes(folder / "store.db")


def test_node_run_reads_answer_as_before_without_the_index(tmp_path):
    folder = tmp_path / "old"
    _store_at_version_4(folder)
    db = sqlite3.connect(folder / "store.db", isolation_level=None)
    db.execute("INSERT INTO runs (id, graph_name, graph_file, config_json, status, started_at, nodes_total)"
               " VALUES ('r1', 'g', 'g.yaml', '{}', 'succeeded', 1.0, 3)")
    for i, (node, status, hit) in enumerate([("a", "succeeded", 0), ("c", "cached", 1), ("b", "failed", 0)]):
        db.execute("INSERT INTO node_runs (run_id, node, op, op_version, cache_key, status, cache_hit,"
                   " duration_s, params_json, output_preview, output_size) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                   ("r1", node, "core.add", "1", f"k{i}", status, hit, 0.5, '{"add": 1}', str(i), 10 + i))
    db.close()
    store = Store(folder)  # migrated to the current schema on open: the rows written at version 4 read as before
    before = [r.to_dict() for r in store.node_runs("r1")]
    assert [r["node"] for r in before] == ["a", "c", "b"]  # insertion order, as every reader shows it
    assert store.node_cache_key("r1", "c") == "k1"
    assert store.count_node_runs(["r1"], "cached") == 1
    store.close()

    fresh = Store(tmp_path / "new")
    fresh.create_run("r1", "g", "g.yaml", {}, 3)
    fresh.add_nodes("r1", [("a", "core.add", "1", "k0", '{"add": 1}', False),
                           ("c", "core.add", "1", "k1", '{"add": 1}', True)])
    assert [r.node for r in fresh.node_runs("r1")] == ["a", "c"]
    assert fresh.node_cache_key("r1", "c") == "k1"
    assert fresh.count_node_runs(["r1"], "cached") == 1
    fresh.close()


def test_the_collector_resumes_after_a_paused_phase_and_stays_off_when_it_was_off():
    assert gc.isenabled()
    with paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
