"""A read-only, thread-safe connection to a run store, with the few queries the TUI needs.

Every query returns plain dicts. Large tables (LLM calls, items, trials) are read a page at a time with a
total count, so a 100,000-row table never leaves the database at once. `changed()` polls SQLite's
`PRAGMA data_version`, which moves only when another connection commits: a cheap live-refresh signal.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipec.compiler.errors import StoreError
from pipec.compiler.store_schema import MIGRATIONS

BUSY_TIMEOUT_S = 1.5  # a locked store is reported after this long instead of freezing a worker


@dataclass
class Page:
    """One page of a large table: `rows` starting at `offset`, out of `total` matching rows."""

    offset: int
    total: int
    rows: list[dict[str, Any]]


class StoreLocked(StoreError):
    """Another process holds a lock on the store longer than BUSY_TIMEOUT_S: worth retrying, not fatal."""


def _friendly(exc: sqlite3.Error, path: Path) -> StoreError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StoreLocked(f"the run store {path} is locked by another process; retrying on the next refresh")
    return StoreError(f"cannot read the run store {path}: {text}")


class StoreReader:
    """Open a store folder (or a store.db path) read-only; raise StoreError with a clear message."""

    def __init__(self, root: str | Path):
        root = Path(root)
        self.path = root if root.suffix == ".db" else root / "store.db"
        self._lock = threading.Lock()
        if not self.path.exists():
            raise StoreError(f"no run store at {root} (run 'pipe run GRAPH.yaml' first, or pass --store PATH)")
        try:
            self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S,
                                      check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            raise _friendly(exc, self.path) from None
        self._check_schema()

    def _check_schema(self) -> None:
        version = self._scalar("PRAGMA user_version")
        if version == 0 and not self._scalar("SELECT count(*) FROM sqlite_master"):
            raise StoreError(f"{self.path} is an empty database, not a run store")
        if version < len(MIGRATIONS):
            raise StoreError(f"the run store {self.path} has an old schema (version {version}); run any "
                             "'pipe runs --store ...' on it once to upgrade it")
        if version > len(MIGRATIONS):
            raise StoreError(f"the run store {self.path} has schema version {version}, newer than this pipec "
                             f"understands ({len(MIGRATIONS)}); upgrade pipec")

    def close(self) -> None:
        with self._lock:
            self.db.close()

    # --- low level ------------------------------------------------------------------------------------------
    def query(self, sql: str, args: tuple = ()) -> list[dict[str, Any]]:
        with self._lock:
            try:
                cur = self.db.execute(sql, args)
                cols = [c[0] for c in cur.description]
                return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
            except sqlite3.Error as exc:
                raise _friendly(exc, self.path) from None

    def _scalar(self, sql: str, args: tuple = ()) -> Any:
        with self._lock:
            try:
                row = self.db.execute(sql, args).fetchone()
            except sqlite3.Error as exc:
                raise _friendly(exc, self.path) from None
        return row[0] if row else None

    def data_version(self) -> int:
        """Changes whenever another connection commits to the database (cheap: no table is read)."""
        return self._scalar("PRAGMA data_version")

    # --- lists ----------------------------------------------------------------------------------------------
    def runs(self, limit: int = 5000) -> list[dict[str, Any]]:
        return self.query(
            "SELECT id, graph_name, status, started_at, duration_s, error, nodes_total, nodes_cached,"
            " nodes_failed, llm_calls, cost_usd, metrics_json, study_id, trial_number"
            " FROM runs ORDER BY started_at DESC LIMIT ?", (limit,))

    def studies(self) -> list[dict[str, Any]]:
        return self.query(
            "SELECT s.id, s.name, s.graph_name, s.strategy, s.objective_json, s.status, s.created_at,"
            " s.updated_at, count(t.number) AS trials, sum(t.state = 'complete') AS complete,"
            " sum(coalesce(t.cost_usd, 0)) AS cost_usd, sum(coalesce(t.cache_hits, 0)) AS cache_hits,"
            " max(CASE WHEN t.state = 'complete' THEN t.value END) AS best_max,"
            " min(CASE WHEN t.state = 'complete' THEN t.value END) AS best_min"
            " FROM studies s LEFT JOIN trials t ON t.study_id = s.id GROUP BY s.id ORDER BY s.created_at DESC")

    # --- one run --------------------------------------------------------------------------------------------
    def run(self, run_id: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM runs WHERE id = ?", (run_id,))
        return rows[0] if rows else None

    def node_runs(self, run_id: str) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM node_runs WHERE run_id = ? ORDER BY rowid", (run_id,))

    def node_metrics(self, run_id: str) -> list[dict[str, Any]]:
        return self.query("SELECT node, port, name, value FROM metrics WHERE run_id = ? ORDER BY node, port, name",
                          (run_id,))

    def llm_counts(self, run_id: str) -> dict[str, int]:
        rows = self.query("SELECT node, count(*) AS n FROM llm_calls WHERE run_id = ? GROUP BY node", (run_id,))
        return {r["node"]: r["n"] for r in rows}

    def item_counts(self, cache_keys: list[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for i in range(0, len(cache_keys), 500):
            chunk = cache_keys[i:i + 500]
            marks = ",".join("?" * len(chunk))
            for r in self.query(f"SELECT cache_key, count(*) AS n FROM items WHERE cache_key IN ({marks})"
                                " GROUP BY cache_key", tuple(chunk)):
                counts[r["cache_key"]] = r["n"]
        return counts

    def items_page(self, cache_key: str, offset: int, limit: int, search: str = "") -> Page:
        where, args = "cache_key = ?", [cache_key]
        if search:
            where += " AND (data_json LIKE ? OR item_id LIKE ?)"
            args += [f"%{search}%"] * 2
        total = self._scalar(f"SELECT count(*) FROM items WHERE {where}", tuple(args))
        rows = self.query(f"SELECT idx, item_id, data_json FROM items WHERE {where} ORDER BY idx LIMIT ? OFFSET ?",
                          (*args, limit, offset))
        out = []
        for r in rows:
            data = _loads(r["data_json"])
            out.append({"#": r["idx"], **(data if isinstance(data, dict) else {"value": data})})
        return Page(offset, total or 0, out)

    def llm_page(self, run_id: str, node: str | None, offset: int, limit: int, search: str = "") -> Page:
        where, args = "run_id = ?", [run_id]
        if node is not None:
            where += " AND node = ?"
            args.append(node)
        if search:
            where += (" AND (messages_json LIKE ? OR response LIKE ? OR model LIKE ? OR error LIKE ?"
                      " OR item LIKE ?)")
            args += [f"%{search}%"] * 5
        total = self._scalar(f"SELECT count(*) FROM llm_calls WHERE {where}", tuple(args))
        rows = self.query(
            "SELECT id, node, item, model, prompt_tokens, completion_tokens, cost_usd, latency_s, cache_hit, error,"
            f" substr(response, 1, 200) AS response FROM llm_calls WHERE {where} ORDER BY id LIMIT ? OFFSET ?",
            (*args, limit, offset))
        return Page(offset, total or 0, rows)

    def llm_call(self, call_id: int) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM llm_calls WHERE id = ?", (call_id,))
        return rows[0] if rows else None

    # --- studies --------------------------------------------------------------------------------------------
    def study(self, study_id: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM studies WHERE id = ?", (study_id,))
        return rows[0] if rows else None

    def trials(self, study_id: str) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM trials WHERE study_id = ? ORDER BY number", (study_id,))


def _loads(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
