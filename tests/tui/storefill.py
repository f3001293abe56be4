"""Build the TUI tests' run store from real runs of the examples, then pin every clock-dependent value.

Runs go through `pipec.compiler.api.run_file` (the real executor and store writers); LLM calls through the
real gateway with the fake provider and the example's script. The study's trials are real runs tagged
with the study id, recorded by `pipe tune`'s own writer (optimizers/records.py). Timestamps, durations,
latencies and cache keys (which hash op source files) are then replaced by fixed values, so that what the
screens render is the same on every machine (snapshot tests).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import yaml
from pipec.compiler.api import run_file
from pipec.compiler.store import Store

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
GRAPHS = Path(__file__).resolve().parent / "graphs"
T0 = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC

RUNS = {  # run id -> (graph, overrides, extra executor args)
    "r01-quickstart": (EXAMPLES / "quickstart.yaml", ["delay=0"], {}),
    "r02-quickstart-x5": (EXAMPLES / "quickstart.yaml", ["delay=0", "x=5"], {}),
    "r03-failing": (GRAPHS / "failing.yaml", [], {}),
    "r04-llm-extract": (EXAMPLES / "llm" / "extract.yaml", [], {}),
    "r05-rag-offline": (EXAMPLES / "rag" / "offline.yaml", ["embedder=hashing"], {}),
}
STUDY_ID = "s01-quickstart-x"
TRIAL_XS = [1, 4, 2, 3, 6]


def _fake_llm():
    from pipec.compiler.llm.fake import fake_script

    data = yaml.safe_load((EXAMPLES / "llm" / "fake_script.yaml").read_text())
    return fake_script(**{**data, "latency": 0.0})


def fill(root: Path, with_rag: bool = True) -> Path:
    """Fill a new store at `root` with real runs, a study, and pinned times; return the store folder."""
    store = Store(root)
    try:
        with _fake_llm():
            for run_id, (graph, overrides, extra) in RUNS.items():
                if run_id == "r05-rag-offline" and not with_rag:
                    continue
                run_file(graph, overrides, store=store, run_id=run_id, **extra)
        for i, x in enumerate(TRIAL_XS):
            run_file(EXAMPLES / "quickstart.yaml", ["delay=0", f"x={x}"], store=store,
                     run_id=f"t{i:02d}-{STUDY_ID}", study_id=STUDY_ID, trial_number=i)
    finally:
        store.close()
    _add_study(root)
    pin_times(root / "store.db")
    return root


def _add_study(root: Path) -> None:
    """The study through `pipe tune`'s own writer (optimizers/records.py), then pinned ids and times."""
    from pipec.optimizers.records import StudyRecords

    store = Store(root)
    records = StudyRecords(store)
    study_id = records.create("quickstart-x", "quickstart", str(EXAMPLES / "quickstart.yaml"), "grid",
                              {"metric": "total", "direction": "maximize"},
                              {"x": {"kind": "choice", "values": [1, 2, 3, 4, 6]}}, {"seed": 0})
    for i, x in enumerate(TRIAL_XS):
        run_id = f"t{i:02d}-{STUDY_ID}"
        outputs = json.loads(store.query("SELECT outputs_json FROM runs WHERE id=?", (run_id,))[0]["outputs_json"])
        config = {"x": x, "mode": "odd" if x % 2 else "even"}
        records.start_trial(study_id, i, config, f"h{i}", None, run_id, "grid point")
        if i == 3:
            records.finish_trial(study_id, i, "failed", cost_usd=0.001 * (i + 1), llm_calls=0, cache_hits=1,
                                 duration_s=0.5 + i, error="x=3 is rejected on purpose")
        else:
            value = float(outputs["total"])
            records.finish_trial(study_id, i, "complete", value, {"total": {"total": value, "half": value / 2}},
                                 cost_usd=0.001 * (i + 1), llm_calls=0, cache_hits=1, duration_s=0.5 + i)
    records.set_status(study_id, "finished")
    store.close()
    db = sqlite3.connect(root / "store.db")
    with db:
        db.execute("UPDATE trials SET study_id=?, started_at=?+100*number, ended_at=?+100*number+1"
                   " WHERE study_id=?", (STUDY_ID, T0, T0, study_id))
        db.execute("UPDATE studies SET id=?, created_at=?, updated_at=? WHERE id=?", (STUDY_ID, T0, T0, study_id))
    db.close()


def pin_times(db_path: Path) -> None:
    """Replace every clock-dependent value with a fixed one derived from the row's order."""
    db = sqlite3.connect(db_path)
    with db:
        ids = [r[0] for r in db.execute("SELECT id FROM runs ORDER BY rowid")]
        for i, run_id in enumerate(ids):
            start = T0 + 3600 * i
            db.execute("UPDATE runs SET started_at=?, ended_at=?, duration_s=?, pid=1 WHERE id=?",
                       (start, start + 1.5 + i, 1.5 + i, run_id))
            nodes = [r[0] for r in db.execute("SELECT node FROM node_runs WHERE run_id=? ORDER BY rowid", (run_id,))]
            for j, node in enumerate(nodes):
                db.execute("UPDATE node_runs SET started_at=?, ended_at=?, duration_s=CASE WHEN cache_hit=1 THEN 0"
                           " WHEN duration_s IS NULL THEN NULL ELSE ? END WHERE run_id=? AND node=?",
                           (start + j, start + j + 0.25, 0.25 * (j + 1), run_id, node))
        # Concurrent calls get ids in a timing-dependent order: renumber them by what they are.
        db.execute("CREATE TEMP TABLE calls AS SELECT * FROM llm_calls"
                   " ORDER BY run_id, node, item, prompt_tokens, request_hash")
        db.execute("DELETE FROM llm_calls")
        db.execute("DELETE FROM sqlite_sequence WHERE name='llm_calls'")
        cols = [r[1] for r in db.execute("PRAGMA table_info(llm_calls)") if r[1] != "id"]
        db.execute(f"INSERT INTO llm_calls ({','.join(cols)}) SELECT {','.join(cols)} FROM calls ORDER BY rowid")
        db.execute("UPDATE llm_calls SET created_at=?, latency_s=0.05 + 0.01 * (id % 5)", (T0,))
        db.execute("UPDATE cache_entries SET created_at=?, last_used_at=?", (T0, T0))
        keys = [r[0] for r in db.execute("SELECT cache_key FROM node_runs ORDER BY rowid")]
        for i, key in enumerate(dict.fromkeys(keys)):
            fixed = f"{i:04d}" + "0" * 60
            for table, column in (("node_runs", "cache_key"), ("items", "cache_key"), ("cache_entries", "key")):
                db.execute(f"UPDATE {table} SET {column}=? WHERE {column}=?", (fixed, key))
    db.close()
