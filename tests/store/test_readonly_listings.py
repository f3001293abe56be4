"""Listing commands open the store read-only: `pipe studies`, `pipe study show` and `pipe runs` never create,
migrate or write a store (issue 15)."""

from __future__ import annotations

import json

from pipec.compiler.cli import main
from pipec.compiler.store import Store


def _store_with_study(root) -> None:
    with Store(root) as store:
        study = store.create_study("one", "g", "g.yaml", "random", {"metric": "m.score", "direction": "maximize"},
                                   {"x": {"kind": "choice", "values": [1, 2]}}, {"seed": 0})
        store.start_trial(study, 0, {"x": 1}, "h0", None, "run-0", "")
        store.finish_trial(study, 0, "complete", value=0.5, metrics={"m": {"score": 0.5}})


# SQLite's WAL index files: a reader of a WAL database creates them (empty of frames) when they are missing
SQLITE_READER_FILES = {"store.db-wal", "store.db-shm"}


def _snapshot(root) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else None for p in root.rglob("*")
            if p.name not in SQLITE_READER_FILES}


def test_listing_a_study_leaves_the_store_unchanged(tmp_path, capsys):
    root = tmp_path / "store"
    _store_with_study(root)
    before = _snapshot(root)
    assert main(["studies", "--store", str(root), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["studies"]
    assert row["name"] == "one" and row["complete"] == 1 and row["best"] == 0.5
    assert main(["study", "show", "one", "--store", str(root), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["study"] == "one"
    assert main(["runs", "--store", str(root)]) == 0
    capsys.readouterr()
    assert _snapshot(root) == before  # the database and the artifacts byte for byte: nothing migrated or written
    wal = root / "store.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0  # no transaction was written either


def test_listing_studies_of_a_missing_store_creates_nothing(tmp_path, capsys):
    missing, empty = tmp_path / "nowhere", tmp_path / "empty"
    empty.mkdir()
    for root in (missing, empty):
        assert main(["studies", "--store", str(root)]) == 2
        assert "no run store at" in capsys.readouterr().err
    assert not missing.exists() and list(empty.iterdir()) == []
