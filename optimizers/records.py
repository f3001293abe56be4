"""Studies and trials in the run store (tables `studies`, `trials`, `tune_proposals`; see docs/tune.md).

JSON shapes written here:
- studies.objective_json: {"metric", "direction", "secondary": {"metric", "direction"} | null,
  "constraints": [{"metric", "min", "max"}]}
- studies.space_json: {path: {"kind": choice|prompt|int|float, "values" | "low","high","step","log","points",
  "model"}}
- studies.settings_json: {"seed", "graph_file", "overrides", "order", "halving", "llm", "budgets", "stop_reason"}
- trials.config_json: {path: value} (flat, the dotted paths of the space); trials.metrics_json:
  {node or node.port: {metric: value}} as the run produced them.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from pipec.compiler.store import Store

INTERRUPTED = "interrupted"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


class StudyRecords:
    def __init__(self, store: Store):
        self.store = store

    def find(self, name: str) -> dict[str, Any] | None:
        rows = self.store.query("SELECT * FROM studies WHERE name=?", (name,))
        return rows[0] if rows else None

    def create(self, name: str, graph_name: str, graph_file: str, strategy: str, objective: dict, space: dict,
               settings: dict) -> str:
        study_id = uuid.uuid4().hex[:12]
        now = time.time()
        self.store.execute(
            "INSERT INTO studies (id, name, graph_name, graph_file, strategy, objective_json, space_json,"
            " settings_json, status, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (study_id, name, graph_name, graph_file, strategy, _json(objective), _json(space), _json(settings),
             "running", now, now))
        return study_id

    def set_status(self, study_id: str, status: str, settings: dict | None = None) -> None:
        if settings is None:
            self.store.execute("UPDATE studies SET status=?, updated_at=? WHERE id=?", (status, time.time(), study_id))
        else:
            self.store.execute("UPDATE studies SET status=?, settings_json=?, updated_at=? WHERE id=?",
                               (status, _json(settings), time.time(), study_id))

    def trials(self, study_id: str) -> list[dict[str, Any]]:
        return self.store.query("SELECT * FROM trials WHERE study_id=? ORDER BY number", (study_id,))

    def reap(self, study_id: str) -> int:
        """Trials left 'running' by a process that was killed: marked failed with error 'interrupted ...'
        (an interrupted config is proposed again, unlike a config that failed on its own)."""
        rows = self.store.query("SELECT t.number, t.run_id, r.status AS run_status, r.pid FROM trials t LEFT JOIN"
                                " runs r ON r.id = t.run_id WHERE t.study_id=? AND t.state='running'", (study_id,))
        from pipec.compiler.store import _pid_alive

        dead = [r for r in rows if r["pid"] is None or r["run_status"] != "running" or not _pid_alive(r["pid"])]
        for r in dead:
            self.store.execute("UPDATE trials SET state='failed', error=?, ended_at=? WHERE study_id=? AND number=?",
                               (f"{INTERRUPTED}: the process ended during the trial", time.time(), study_id,
                                r["number"]))
        return len(dead)

    def start_trial(self, study_id: str, number: int, config: dict, config_hash: str, budget: float | None,
                    run_id: str, note: str) -> None:
        self.store.execute(
            "INSERT INTO trials (study_id, number, state, config_json, config_hash, budget, run_id, started_at, note)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (study_id, number, "running", self.store.redact(_json(config)), config_hash, budget, run_id, time.time(),
             note))

    def finish_trial(self, study_id: str, number: int, state: str, value: float | None = None,
                     metrics: dict | None = None, cost_usd: float | None = None, llm_calls: int | None = None,
                     cache_hits: int | None = None, duration_s: float | None = None,
                     error: str | None = None) -> None:
        self.store.execute(
            "UPDATE trials SET state=?, value=?, metrics_json=?, cost_usd=?, llm_calls=?, cache_hits=?,"
            " duration_s=?, error=?, ended_at=? WHERE study_id=? AND number=? AND state='running'",
            (state, value, _json(metrics or {}), cost_usd, llm_calls, cache_hits, duration_s,
             self.store.redact(error) if error else None, time.time(), study_id, number))
        self.store.execute("UPDATE studies SET updated_at=? WHERE id=?", (time.time(), study_id))

    def add_proposal(self, study_id: str, outcome: str, reason: str, reply: str, config: dict | None,
                     trial_number: int | None) -> None:
        self.store.execute(
            "INSERT INTO tune_proposals (study_id, trial_number, outcome, reason, reply, config_json, created_at)"
            " VALUES (?,?,?,?,?,?,?)",
            (study_id, trial_number, outcome, reason, self.store.redact(reply or ""),
             _json(config) if config is not None else None, time.time()))

    def proposals(self, study_id: str) -> list[dict[str, Any]]:
        return self.store.query("SELECT * FROM tune_proposals WHERE study_id=? ORDER BY id", (study_id,))
