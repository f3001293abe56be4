"""Tuning studies, their trials and the llm strategy's proposals (tables studies, trials, tune_proposals).
JSON shapes of the *_json columns: docs/tune.md and optimizers/records.py."""

from __future__ import annotations

import sqlite3
import time
import uuid
from typing import Any

from .process import process_alive
from .records import ProposalRecord, StudyRecord, StudySummary, TrialRecord
from .runs import to_json

INTERRUPTED = "interrupted"


class StudyReads:
    def find_study(self, name: str) -> StudyRecord | None:
        rows = self.conn.rows("SELECT * FROM studies WHERE name=?", (name,))
        return StudyRecord.from_row(rows[0]) if rows else None

    def get_study(self, study_id: str) -> StudyRecord | None:
        rows = self.conn.rows("SELECT * FROM studies WHERE id=?", (study_id,))
        return StudyRecord.from_row(rows[0]) if rows else None

    def list_studies(self) -> list[StudySummary]:
        """Every study, newest first, with its trial count, completed trials, spend and best values."""
        return [StudySummary.from_row(r) for r in self.conn.rows(
            "SELECT s.id, s.name, s.graph_name, s.strategy, s.objective_json, s.status, s.created_at,"
            " s.updated_at, s.settings_json, count(t.number) AS trials, sum(t.state = 'complete') AS complete,"
            " sum(t.state = 'failed') AS failed,"
            " sum(coalesce(t.cost_usd, 0)) AS cost_usd, sum(coalesce(t.cache_hits, 0)) AS cache_hits,"
            " max(CASE WHEN t.state = 'complete' THEN t.value END) AS best_max,"
            " min(CASE WHEN t.state = 'complete' THEN t.value END) AS best_min"
            " FROM studies s LEFT JOIN trials t ON t.study_id = s.id GROUP BY s.id ORDER BY s.created_at DESC")]

    def trials(self, study_id: str) -> list[TrialRecord]:
        return [TrialRecord.from_row(r) for r in
                self.conn.rows("SELECT * FROM trials WHERE study_id=? ORDER BY number", (study_id,))]

    def proposals(self, study_id: str) -> list[ProposalRecord]:
        return [ProposalRecord.from_row(r) for r in
                self.conn.rows("SELECT * FROM tune_proposals WHERE study_id=? ORDER BY id", (study_id,))]

    def trial_spend(self, study_id: str) -> tuple[float, int]:
        """(cost, LLM calls) summed over a study's trials."""
        rows = self.conn.rows("SELECT COALESCE(SUM(cost_usd), 0) AS usd, COALESCE(SUM(llm_calls), 0) AS calls"
                              " FROM trials WHERE study_id=?", (study_id,))
        return float(rows[0]["usd"]), int(rows[0]["calls"])


class StudyWrites:
    def create_study(self, name: str, graph_name: str, graph_file: str, strategy: str, objective: dict,
                     space: dict, settings: dict) -> str:
        study_id = uuid.uuid4().hex[:12]
        now = time.time()
        row = (study_id, name, graph_name, graph_file, strategy, to_json(objective), to_json(space),
               to_json(settings), "running", now, now)
        self.conn.write(lambda db: db.execute(
            "INSERT INTO studies (id, name, graph_name, graph_file, strategy, objective_json, space_json,"
            " settings_json, status, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)", row))
        return study_id

    def set_study_status(self, study_id: str, status: str, settings: dict | None = None) -> None:
        if settings is None:
            sql, args = "UPDATE studies SET status=?, updated_at=? WHERE id=?", (status, time.time(), study_id)
        else:
            sql = "UPDATE studies SET status=?, settings_json=?, updated_at=? WHERE id=?"
            args = (status, to_json(settings), time.time(), study_id)
        self.conn.write(lambda db: db.execute(sql, args))

    def reap_trials(self, study_id: str) -> int:
        """Trials left 'running' by a process that was killed: marked failed with error 'interrupted ...'
        (an interrupted config is proposed again, unlike a config that failed on its own)."""
        rows = self.conn.rows("SELECT t.number, r.status AS run_status, r.pid FROM trials t LEFT JOIN runs r"
                              " ON r.id = t.run_id WHERE t.study_id=? AND t.state='running'", (study_id,))
        dead = [r["number"] for r in rows
                if r["pid"] is None or r["run_status"] != "running" or not process_alive(r["pid"])]
        if dead:
            error, now = f"{INTERRUPTED}: the process ended during the trial", time.time()
            self.conn.write(lambda db: db.executemany(
                "UPDATE trials SET state='failed', error=?, ended_at=? WHERE study_id=? AND number=?"
                " AND state='running'", [(error, now, study_id, n) for n in dead]))
        return len(dead)

    def start_trial(self, study_id: str, number: int, config: dict, config_hash: str, budget: float | None,
                    run_id: str, note: str) -> None:
        row = (study_id, number, "running", self.redact(to_json(config)), config_hash, budget, run_id, time.time(),
               note)
        self.conn.write(lambda db: db.execute(
            "INSERT INTO trials (study_id, number, state, config_json, config_hash, budget, run_id, started_at,"
            " note) VALUES (?,?,?,?,?,?,?,?,?)", row))

    def finish_trial(self, study_id: str, number: int, state: str, value: float | None = None,
                     metrics: dict | None = None, cost_usd: float | None = None, llm_calls: int | None = None,
                     cache_hits: int | None = None, duration_s: float | None = None,
                     error: str | None = None) -> None:
        now = time.time()
        row = (state, value, to_json(metrics or {}), cost_usd, llm_calls, cache_hits, duration_s,
               self.redact(error) if error else None, now, study_id, number)

        def finish(db: sqlite3.Connection) -> None:
            db.execute("UPDATE trials SET state=?, value=?, metrics_json=?, cost_usd=?, llm_calls=?, cache_hits=?,"
                       " duration_s=?, error=?, ended_at=? WHERE study_id=? AND number=? AND state='running'", row)
            db.execute("UPDATE studies SET updated_at=? WHERE id=?", (now, study_id))

        self.conn.write(finish)

    def add_proposal(self, study_id: str, outcome: str, reason: str, reply: str, config: dict | None,
                     trial_number: int | None) -> None:
        row: tuple[Any, ...] = (study_id, trial_number, outcome, reason, self.redact(reply or ""),
                                to_json(config) if config is not None else None, time.time())
        self.conn.write(lambda db: db.execute(
            "INSERT INTO tune_proposals (study_id, trial_number, outcome, reason, reply, config_json, created_at)"
            " VALUES (?,?,?,?,?,?,?)", row))
