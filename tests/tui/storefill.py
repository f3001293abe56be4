"""Build the TUI tests' run store from real runs of the examples, then pin every clock-dependent value.

Runs go through `pipec.compiler.api.run_file` (the real executor and store writers); LLM calls through the
real gateway with the fake provider and the example's script. Studies and trials have no writer yet outside
`pipe tune`, so they are inserted with SQL that matches compiler/store_schema.py; their trials point at real
runs tagged with the study id. Timestamps, durations and latencies are then set to fixed values, so that
what the screens render is the same on every machine (snapshot tests).
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
    _add_study(root / "store.db")
    pin_times(root / "store.db")
    return root


def _add_study(db_path: Path) -> None:
    db = sqlite3.connect(db_path)
    with db:
        db.execute("INSERT INTO studies VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                   (STUDY_ID, "quickstart-x", "quickstart", str(EXAMPLES / "quickstart.yaml"), "grid",
                    json.dumps({"metric": "total", "direction": "maximize"}),
                    json.dumps({"x": [1, 2, 3, 4, 6], "add": [1.0]}), None, "finished", T0, T0))
        for i, x in enumerate(TRIAL_XS):
            run_id = f"t{i:02d}-{STUDY_ID}"
            outputs = json.loads(db.execute("SELECT outputs_json FROM runs WHERE id=?", (run_id,)).fetchone()[0])
            state = "failed" if i == 3 else "complete"
            value = None if state == "failed" else float(outputs["total"])
            metrics = None if state == "failed" else json.dumps({"total": value, "half": value / 2})
            db.execute("INSERT INTO trials VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       (STUDY_ID, i, state, json.dumps({"x": x, "mode": "odd" if x % 2 else "even"}), f"h{i}",
                        value, metrics, run_id, None, 0.001 * (i + 1), 0, 1, 0.5 + i,
                        "x=3 is rejected on purpose" if state == "failed" else None, T0 + 100 * i,
                        T0 + 100 * i + 1))
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
                           " ELSE ? END WHERE run_id=? AND node=?",
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
    db.close()
