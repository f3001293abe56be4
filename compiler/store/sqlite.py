"""The run store: SQLite (WAL) for runs, nodes, metrics, LLM calls and studies; artifacts on disk beside it.

Layout of a store folder (default `.pipe/`):
    store.db                  SQLite database, schema in schema.py
    artifacts/ab/abcdef...    large memoized node results, content-addressed by cache key

Every text written passes through `redact` so secrets never reach the disk. One connection is shared by the
executor's threads behind a lock; other processes (the TUI, a second `pipe run`) read concurrently thanks to
WAL mode.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..interpolate import redact
from .artifacts import ArtifactStore, decode_value, encode_value
from .schema import MIGRATIONS

INLINE_LIMIT = 256 * 1024  # results smaller than this live inside the database
DEFAULT_STORE = ".pipe"


def _json(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Store:
    def __init__(self, root: str | Path = DEFAULT_STORE, readonly: bool = False):
        self.root = Path(root)
        self.readonly = readonly
        self.secrets: dict[str, str] = {}
        self._lock = threading.RLock()
        self._pending_nodes: dict[tuple[str, str], dict[str, Any]] = {}
        self._pending_results: list[tuple[tuple, list[tuple]]] = []
        self._last_flush = 0.0
        if readonly:
            if not (self.root / "store.db").exists():
                raise StoreError(f"no run store at {self.root} (run 'pipe run' first or pass --store)")
        else:
            try:
                (self.root / "artifacts").mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the run store at {self.root}: {exc.strerror}") from None
        self.path = self.root / "store.db"
        self.artifacts = ArtifactStore(self.root)
        try:
            uri = f"file:{self.path}?mode=ro" if readonly else str(self.path)
            self.db = sqlite3.connect(uri, uri=readonly, check_same_thread=False, timeout=10.0,
                                      isolation_level=None)
            self.db.execute("PRAGMA busy_timeout = 10000")
            if not readonly:
                self.db.execute("PRAGMA journal_mode = WAL")
                self.db.execute("PRAGMA synchronous = NORMAL")
                self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the run store {self.path}: {exc}") from None

    # --- schema ---------------------------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        version = self.schema_version
        if version > len(MIGRATIONS):
            raise StoreError(f"the store {self.path} has schema version {version}, newer than this pipec "
                             f"understands ({len(MIGRATIONS)}); upgrade pipec")
        if self.readonly:
            if version < len(MIGRATIONS):
                raise StoreError(f"the store {self.path} has an old schema (version {version}); "
                                 "run any 'pipe run' or 'pipe runs' on it to upgrade")
            return
        for i in range(version, len(MIGRATIONS)):
            with self._lock:
                self.db.execute("BEGIN IMMEDIATE")
                try:
                    # Re-check inside the write lock: another process may have migrated meanwhile.
                    if self.schema_version > i:
                        self.db.execute("COMMIT")
                        continue
                    for statement in MIGRATIONS[i].split(";"):
                        if statement.strip():
                            self.db.execute(statement)
                    self.db.execute(f"PRAGMA user_version = {i + 1}")
                    self.db.execute("COMMIT")
                except BaseException:
                    self.db.execute("ROLLBACK")
                    raise

    def close(self) -> None:
        with self._lock:
            if not self.readonly:
                self.flush()
            self.db.close()

    def execute(self, sql: str, args: Iterable[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self.db.execute(sql, tuple(args))

    def query(self, sql: str, args: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            cur = self.db.execute(sql, tuple(args))
            cols = [c[0] for c in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def add_secrets(self, secrets: dict[str, str]) -> None:
        self.secrets.update(secrets)

    def redact(self, value: Any) -> Any:
        return redact(value, self.secrets)

    # --- runs -----------------------------------------------------------------------------------------------
    def create_run(self, run_id: str, graph_name: str, graph_file: str, config: dict, nodes_total: int,
                   study_id: str | None = None, trial_number: int | None = None) -> None:
        self.execute(
            "INSERT INTO runs (id, graph_name, graph_file, config_json, status, started_at, nodes_total,"
            " study_id, trial_number, pid) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (run_id, graph_name, graph_file, self.redact(_json(config)), "running", time.time(), nodes_total,
             study_id, trial_number, os.getpid()),
        )

    def reap_dead_runs(self) -> int:
        """Mark runs left 'running' by a process that no longer exists (killed) as interrupted."""
        dead = [r["id"] for r in self.query("SELECT id, pid FROM runs WHERE status='running'")
                if r["pid"] and not _pid_alive(r["pid"])]
        for run_id in dead:
            self.execute("UPDATE runs SET status='interrupted', error=? WHERE id=?",
                         ("the process ended without finishing the run (killed?)", run_id))
            self.execute("UPDATE node_runs SET status='interrupted' WHERE run_id=? AND status='running'", (run_id,))
        return len(dead)

    def finish_run(self, run_id: str, status: str, error: str | None = None, **totals: Any) -> None:
        self.flush()
        started = self.execute("SELECT started_at FROM runs WHERE id=?", (run_id,)).fetchone()
        now = time.time()
        fields = {"status": status, "ended_at": now, "duration_s": now - started[0] if started else None,
                  "error": self.redact(error) if error else None}
        for key in ("nodes_cached", "nodes_failed", "llm_calls", "cost_usd"):
            if key in totals:
                fields[key] = totals[key]
        for key in ("metrics", "outputs"):
            if key in totals:
                fields[f"{key}_json"] = self.redact(_json(totals[key]))
        sets = ", ".join(f"{k}=?" for k in fields)
        self.execute(f"UPDATE runs SET {sets} WHERE id=?", (*fields.values(), run_id))

    def list_runs(self, limit: int = 50) -> list[dict]:
        return self.query("SELECT * FROM runs ORDER BY started_at DESC LIMIT ?", (limit,))

    def get_run(self, run_id: str) -> dict | None:
        rows = self.query("SELECT * FROM runs WHERE id=? OR id LIKE ? ORDER BY started_at DESC LIMIT 2",
                          (run_id, run_id + "%"))
        if len(rows) > 1 and rows[0]["id"] != run_id:
            raise StoreError(f"run id prefix '{run_id}' is ambiguous")
        return rows[0] if rows else None

    def node_runs(self, run_id: str) -> list[dict]:
        return self.query("SELECT * FROM node_runs WHERE run_id=? ORDER BY rowid", (run_id,))

    def run_metrics(self, run_id: str) -> list[dict]:
        return self.query("SELECT node, port, name, value FROM metrics WHERE run_id=? ORDER BY node, name",
                          (run_id,))

    # --- nodes ---------------------------------------------------------------------------------------------
    # Node status changes and small results are written behind: buffered, then flushed in one transaction
    # at most every FLUSH_INTERVAL_S (and always at the end of a run, on failure and on interrupt). Readers
    # such as the TUI see them a few milliseconds late; a kill -9 loses at most that window of results.
    FLUSH_INTERVAL_S = 0.05

    def add_nodes(self, run_id: str, rows: list[tuple[str, str, str, str, str, bool]]) -> None:
        """rows: (node, op, op_version, cache_key, params_json, cached) for every node of the run."""
        with self._lock:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT INTO node_runs (run_id, node, op, op_version, cache_key, status, cache_hit, duration_s,"
                " params_json) VALUES (?,?,?,?,?,?,?,?,?)",
                [(run_id, n, op, v, key, "cached" if hit else "pending", int(hit), 0 if hit else None,
                  self.redact(p)) for n, op, v, key, p, hit in rows],
            )
            # Cached nodes show the preview and size of the result they reuse.
            self.db.execute(
                "UPDATE node_runs SET output_preview=c.preview, output_size=c.size_bytes FROM cache_entries c"
                " WHERE node_runs.run_id=? AND node_runs.cache_hit=1 AND c.key=node_runs.cache_key", (run_id,))
            self.db.execute("COMMIT")

    def update_node(self, run_id: str, node: str, **fields: Any) -> None:
        """Buffer a change of a node's row; successive changes of one node merge into one UPDATE."""
        for key in ("error", "output_preview"):
            if fields.get(key):
                fields[key] = self.redact(fields[key])
        with self._lock:
            self._pending_nodes.setdefault((run_id, node), {}).update(fields)
        self.flush(due_only=True)

    def flush(self, due_only: bool = False) -> None:
        """Write buffered node changes and results in one transaction (when due, or now)."""
        now = time.monotonic()
        with self._lock:
            if due_only and now - self._last_flush < self.FLUSH_INTERVAL_S:
                return
            self._last_flush = now
            if not self._pending_nodes and not self._pending_results:
                return
            nodes, self._pending_nodes = self._pending_nodes, {}
            results, self._pending_results = self._pending_results, []
            self.db.execute("BEGIN")
            try:
                for entry, items in results:
                    self._insert_result(entry, items)
                for (run_id, node), fields in nodes.items():
                    sets = ", ".join(f"{k}=?" for k in fields)
                    self.db.execute(f"UPDATE node_runs SET {sets} WHERE run_id=? AND node=?",
                                    (*fields.values(), run_id, node))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    # --- memoized results -----------------------------------------------------------------------------------
    def cached_keys(self, keys: Iterable[str]) -> set[str]:
        keys = list(keys)
        found: set[str] = set()
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            marks = ",".join("?" * len(chunk))
            found |= {r[0] for r in self.execute(f"SELECT key FROM cache_entries WHERE key IN ({marks})", chunk)}
        wanted = set(keys)
        with self._lock:
            found |= {entry[0] for entry, _ in self._pending_results if entry[0] in wanted}
        return found

    def load_result(self, key: str) -> dict[str, Any]:
        with self._lock:
            for entry, _ in self._pending_results:
                if entry[0] == key:
                    return decode_value(entry[7])
        row = self.execute("SELECT artifact, blob FROM cache_entries WHERE key=?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        artifact, blob = row
        if artifact is not None:
            blob = self.artifacts.get(artifact)
        self.execute("UPDATE cache_entries SET last_used_at=? WHERE key=?", (time.time(), key))
        return decode_value(blob)

    def save_result(self, key: str, op: str, node: str, outputs: dict[str, Any], preview: str,
                    items: list[tuple[int, str | None, str]] | None = None) -> int:
        """Persist a node result and its per-item rows (written behind, atomically); returns its size."""
        blob = encode_value(outputs)
        artifact = self.artifacts.put(key, blob) if len(blob) > INLINE_LIMIT else None
        now = time.time()
        entry = (key, op, node, now, now, len(blob), artifact, None if artifact else blob, self.redact(preview))
        rows = [(key, i, item_id, self.redact(data)) for i, item_id, data in items or []]
        with self._lock:
            self._pending_results.append((entry, rows))
        self.flush(due_only=True)
        return len(blob)

    def _insert_result(self, entry: tuple, items: list[tuple]) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO cache_entries (key, op, node, created_at, last_used_at, size_bytes,"
            " artifact, blob, preview) VALUES (?,?,?,?,?,?,?,?,?)", entry)
        if items:
            self.db.execute("DELETE FROM items WHERE cache_key=?", (entry[0],))
            self.db.executemany("INSERT INTO items (cache_key, idx, item_id, data_json) VALUES (?,?,?,?)", items)

    def record_metrics(self, run_id: str, node: str, port: str, values: dict[str, Any]) -> None:
        rows = [(run_id, node, port, str(k), float(v)) for k, v in values.items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)]
        with self._lock:
            self.db.executemany("INSERT OR REPLACE INTO metrics VALUES (?,?,?,?,?)", rows)

    def items(self, cache_key: str, offset: int = 0, limit: int = 200) -> list[dict]:
        rows = self.query("SELECT idx, item_id, data_json FROM items WHERE cache_key=? ORDER BY idx LIMIT ? OFFSET ?",
                          (cache_key, limit, offset))
        return [{"idx": r["idx"], "item_id": r["item_id"], **json.loads(r["data_json"])} for r in rows]

    def clear_cache(self) -> int:
        with self._lock:
            n = self.db.execute("SELECT COUNT(*) FROM cache_entries").fetchone()[0]
            self.db.execute("DELETE FROM cache_entries")
        self.artifacts.clear()
        return n
