"""Runs, node runs, metrics, per-item rows and memoized node results (tables runs, node_runs, metrics, items,
cache_entries).

Node status changes, results, items and metrics are written behind: buffered, then flushed in one transaction
when FLUSH_INTERVAL_S has passed since the last flush, when a batch of nodes ends (`flush()`), on failure and
at the end of a run. Readers such as the TUI see them a few milliseconds late; a kill -9 loses at most that
window of results (the run is marked interrupted by the next process).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable
from typing import Any

from ..errors import StoreError
from .artifacts import decode_value, encode_value
from .process import process_alive
from .records import CacheHit, MetricRecord, NodeRunRecord, RunRecord

INLINE_LIMIT = 256 * 1024  # encoded results smaller than this live inside the database
SQL_CHUNK = 500  # host parameters per IN (...) list


def to_json(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


class RunReads:
    """Queries over runs, nodes, metrics and items (the read-only view has these too)."""

    def list_runs(self, limit: int = 50) -> list[RunRecord]:
        return [RunRecord.from_row(r) for r in
                self.conn.rows("SELECT * FROM runs ORDER BY started_at DESC LIMIT ?", (limit,))]

    def get_run(self, run_id: str) -> RunRecord | None:
        """A run by id or unique id prefix."""
        rows = self.conn.rows("SELECT * FROM runs WHERE id=? OR id LIKE ? ORDER BY started_at DESC LIMIT 2",
                              (run_id, run_id.replace("%", "") + "%"))
        if len(rows) > 1 and rows[0]["id"] != run_id:
            raise StoreError(f"run id prefix '{run_id}' is ambiguous")
        return RunRecord.from_row(rows[0]) if rows else None

    def runs_of(self, run_ids: Iterable[str]) -> list[RunRecord]:
        ids = list(run_ids)
        out: list[RunRecord] = []
        for i in range(0, len(ids), SQL_CHUNK):
            part = ids[i:i + SQL_CHUNK]
            out += [RunRecord.from_row(r) for r in self.conn.rows(
                f"SELECT * FROM runs WHERE id IN ({','.join('?' * len(part))})", part)]
        return out

    def node_runs(self, run_id: str) -> list[NodeRunRecord]:
        return [NodeRunRecord.from_row(r) for r in
                self.conn.rows("SELECT * FROM node_runs WHERE run_id=? ORDER BY rowid", (run_id,))]

    def node_cache_key(self, run_id: str, node: str) -> str | None:
        return self.conn.scalar("SELECT cache_key FROM node_runs WHERE run_id=? AND node=?", (run_id, node))

    def count_node_runs(self, run_ids: Iterable[str], status: str) -> int:
        ids, total = list(run_ids), 0
        for i in range(0, len(ids), SQL_CHUNK):
            part = ids[i:i + SQL_CHUNK]
            total += self.conn.scalar(f"SELECT count(*) FROM node_runs WHERE status=? AND run_id IN "
                                      f"({','.join('?' * len(part))})", (status, *part)) or 0
        return total

    def run_metrics(self, run_id: str) -> list[MetricRecord]:
        return [MetricRecord.from_row(r) for r in self.conn.rows(
            "SELECT node, port, name, value FROM metrics WHERE run_id=? ORDER BY node, port, name", (run_id,))]

    def items(self, cache_key: str, offset: int = 0, limit: int = 200) -> list[dict[str, Any]]:
        """Per-item rows of a result: {"idx", "item_id", **the item's data}."""
        rows = self.conn.rows("SELECT idx, item_id, data_json FROM items WHERE cache_key=? ORDER BY idx"
                              " LIMIT ? OFFSET ?", (cache_key, limit, offset))
        return [{"idx": r["idx"], "item_id": r["item_id"], **json.loads(r["data_json"])} for r in rows]

    def node_items(self, run_id: str, node: str) -> list[dict[str, Any]] | None:
        """Every per-item row node `node` recorded in run `run_id` (also when it came from the cache), or None
        when the run has no such node."""
        key = self.node_cache_key(run_id, node)
        if not key:
            return None
        return self.items(key, limit=max(1, self.count_items(key)))

    def stored_bytes(self, key: str) -> bytes:
        """A memoized result exactly as it is stored (encoded, not decoded): for byte-for-byte comparisons."""
        rows = self.conn.rows("SELECT artifact, blob FROM cache_entries WHERE key=?", (key,))
        if not rows:
            raise KeyError(key)
        artifact, blob = rows[0]["artifact"], rows[0]["blob"]
        return self.artifacts.get(artifact) if artifact is not None else blob

    def count_items(self, cache_key: str | None = None) -> int:
        if cache_key is None:
            return self.conn.scalar("SELECT count(*) FROM items") or 0
        return self.conn.scalar("SELECT count(*) FROM items WHERE cache_key=?", (cache_key,)) or 0


class RunWrites:
    """Writes of a run; needs `conn`, `redact`, `artifacts` and the pending buffers of the Store."""

    FLUSH_INTERVAL_S = 0.05

    def _init_pending(self) -> None:
        self._pending_nodes: dict[tuple[str, str], dict[str, Any]] = {}
        self._pending_results: dict[str, tuple[tuple, list[tuple]]] = {}
        self._pending_metrics: list[tuple] = []
        self._pending_touch: set[str] = set()
        self._last_flush = 0.0
        self._held = 0

    # --- runs -----------------------------------------------------------------------------------------------
    def create_run(self, run_id: str, graph_name: str, graph_file: str, config: dict, nodes_total: int,
                   study_id: str | None = None, trial_number: int | None = None) -> None:
        row = (run_id, graph_name, graph_file, self.redact(to_json(config)), "running", time.time(), nodes_total,
               study_id, trial_number, os.getpid())
        self.conn.write(lambda db: db.execute(
            "INSERT INTO runs (id, graph_name, graph_file, config_json, status, started_at, nodes_total,"
            " study_id, trial_number, pid) VALUES (?,?,?,?,?,?,?,?,?,?)", row))

    def reap_dead_runs(self) -> int:
        """Mark runs left 'running' by a process that no longer exists (killed) as interrupted."""
        dead = [r["id"] for r in self.conn.rows("SELECT id, pid FROM runs WHERE status='running'")
                if r["pid"] and not process_alive(r["pid"])]
        if not dead:
            return 0

        def reap(db: sqlite3.Connection) -> None:
            for run_id in dead:
                db.execute("UPDATE runs SET status='interrupted', error=? WHERE id=? AND status='running'",
                           ("the process ended without finishing the run (killed?)", run_id))
                db.execute("UPDATE node_runs SET status='interrupted' WHERE run_id=? AND status='running'",
                           (run_id,))

        self.conn.write(reap)
        return len(dead)

    def finish_run(self, run_id: str, status: str, error: str | None = None, **totals: Any) -> None:
        """The run's final status and totals, written with every buffered change in one transaction."""
        fields: dict[str, Any] = {"status": status, "ended_at": time.time(),
                                  "error": self.redact(error) if error else None}
        for key in ("nodes_cached", "nodes_failed", "llm_calls", "cost_usd"):
            if key in totals:
                fields[key] = totals[key]
        for key in ("metrics", "outputs"):
            if key in totals:
                fields[f"{key}_json"] = self.redact(to_json(totals[key]))
        sets = ", ".join(f"{k}=?" for k in fields)

        def finish(db: sqlite3.Connection) -> None:
            db.execute(f"UPDATE runs SET {sets}, duration_s=? - started_at WHERE id=?",
                       (*fields.values(), fields["ended_at"], run_id))

        self.flush(also=finish)

    # --- nodes ----------------------------------------------------------------------------------------------
    def add_nodes(self, run_id: str, rows: list[tuple[str, str, str, str, str, bool]],
                  hits: dict[str, CacheHit] | None = None) -> None:
        """rows: (node, op, op_version, cache_key, params_json, cached) for every node of the run. Cached nodes
        show the preview and size of the result they reuse: taken from `hits` (what `cache_hits` returned for
        the plan), else read here."""
        hits = hits or {}
        values, unknown = [], False
        redact = self.redact
        for n, op, v, key, p, cached in rows:
            hit = hits.get(key) if cached else None
            if cached and (hit is None or hit.size_bytes is None):
                hit, unknown = None, True
            values.append((run_id, n, op, v, key, "cached" if cached else "pending", int(cached),
                           0 if cached else None, redact(p), hit.preview if hit else None,
                           hit.size_bytes if hit else None))

        def add(db: sqlite3.Connection) -> None:
            db.executemany(
                "INSERT INTO node_runs (run_id, node, op, op_version, cache_key, status, cache_hit, duration_s,"
                " params_json, output_preview, output_size) VALUES (?,?,?,?,?,?,?,?,?,?,?)", values)
            if not unknown:
                return
            db.execute(
                "UPDATE node_runs SET output_preview=c.preview, output_size=c.size_bytes FROM cache_entries c"
                " WHERE node_runs.run_id=? AND node_runs.cache_hit=1 AND c.key=node_runs.cache_key", (run_id,))

        self.conn.write(add)

    def update_node(self, run_id: str, node: str, **fields: Any) -> None:
        """Buffer a change of a node's row; successive changes of one node merge into one UPDATE."""
        for key in ("error", "output_preview"):
            if fields.get(key):
                fields[key] = self.redact(fields[key])
        with self.conn.lock:
            self._pending_nodes.setdefault((run_id, node), {}).update(fields)
        self.flush(due_only=True)

    def record_metrics(self, run_id: str, node: str, port: str, values: dict[str, Any]) -> None:
        rows = [(run_id, node, port, str(k), float(v)) for k, v in values.items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)]
        with self.conn.lock:
            self._pending_metrics += rows
        self.flush(due_only=True)

    # --- memoized results -----------------------------------------------------------------------------------
    def cached_keys(self, keys: Iterable[str]) -> set[str]:
        keys = list(keys)
        found: set[str] = set()
        for i in range(0, len(keys), SQL_CHUNK):
            part = keys[i:i + SQL_CHUNK]
            found |= {r["key"] for r in self.conn.rows(
                f"SELECT key FROM cache_entries WHERE key IN ({','.join('?' * len(part))})", part)}
        with self.conn.lock:
            found |= {k for k in keys if k in self._pending_results}
        return found

    def cache_hits(self, keys: Iterable[str]) -> dict[str, CacheHit]:
        """The memoized results among `keys` with their preview and size, in one query per SQL_CHUNK keys
        (results still in the write-behind buffer count): the plan's lookup and the cached node rows at once."""
        keys = list(keys)
        hits: dict[str, CacheHit] = {}
        for i in range(0, len(keys), SQL_CHUNK):
            part = keys[i:i + SQL_CHUNK]
            for key, preview, size in self.conn.tuples(f"SELECT key, preview, size_bytes FROM cache_entries WHERE"
                                                       f" key IN ({','.join('?' * len(part))})", part):
                hits[key] = CacheHit(key, preview, size)
        with self.conn.lock:
            pending = self._pending_results
            for key in keys:
                if key in pending:
                    entry = pending[key][0]
                    hits[key] = CacheHit(key, entry[8], entry[5])
        return hits

    def load_result(self, key: str) -> dict[str, Any]:
        with self.conn.lock:
            pending = self._pending_results.get(key)
        if pending is not None:
            return decode_value(pending[0][7], pending[0][1])
        rows = self.conn.rows("SELECT op, artifact, blob FROM cache_entries WHERE key=?", (key,))
        if not rows:
            raise KeyError(key)
        artifact, blob = rows[0]["artifact"], rows[0]["blob"]
        if artifact is not None:
            blob = self.artifacts.get(artifact)
        if not self.conn.readonly:
            self._touch(key)
        return decode_value(blob, rows[0]["op"])  # verified: codec.CorruptValue when changed or missing

    def _touch(self, key: str) -> None:
        with self.conn.lock:
            self._pending_touch.add(key)

    def save_result(self, key: str, op: str, node: str, outputs: dict[str, Any], preview: str,
                    items: list[tuple[int, str | None, str]] | None = None) -> int:
        """Persist a node result and its per-item rows (written behind, atomically); returns its size."""
        return self.save_encoded(key, op, node, encode_value(outputs, op), preview, items)

    def save_encoded(self, key: str, op: str, node: str, blob: bytes, preview: str,
                     items: list[tuple[int, str | None, str]] | None = None) -> int:
        """`save_result` of a result already encoded by `artifacts.encode_value` (a parallel trial's worker
        encodes its results, the driver only stores the bytes)."""
        artifact = self.artifacts.put(key, blob) if len(blob) > INLINE_LIMIT else None
        now = time.time()
        entry = (key, op, node, now, now, len(blob), artifact, None if artifact else blob, self.redact(preview))
        rows = [(key, i, item_id, self.redact(data)) for i, item_id, data in items or []]
        with self.conn.lock:
            self._pending_results[key] = (entry, rows)
        self.flush(due_only=True)
        return len(blob)

    def clear_cache(self) -> int:
        self.flush()

        def clear(db: sqlite3.Connection) -> int:
            n = db.execute("SELECT count(*) FROM cache_entries").fetchone()[0]
            db.execute("DELETE FROM cache_entries")
            return n

        n = self.conn.write(clear)
        self.artifacts.clear()
        return n

    # --- the write-behind buffer ----------------------------------------------------------------------------
    def hold(self) -> _Hold:
        """`with store.hold():` buffered writes wait for the end of the block (or a due flush after it): the
        executor holds while it schedules a ready layer, so a 1,000-node layer is one transaction."""
        return _Hold(self)

    def flush(self, due_only: bool = False, also: Any = None) -> None:
        """Write buffered changes in one transaction (when due, or now); `also(db)` runs in the same one."""
        with self.conn.lock:
            now = time.monotonic()
            if due_only and (self._held or now - self._last_flush < self.FLUSH_INTERVAL_S):
                return
            self._last_flush = now
            touched = self._pending_touch
            if not (self._pending_nodes or self._pending_results or self._pending_metrics or touched or also):
                return
            nodes, self._pending_nodes = self._pending_nodes, {}
            results, self._pending_results = self._pending_results, {}
            metrics, self._pending_metrics = self._pending_metrics, []
            self._pending_touch = set()

            def write(db: sqlite3.Connection) -> None:
                for entry, items in results.values():
                    db.execute("INSERT OR REPLACE INTO cache_entries (key, op, node, created_at, last_used_at,"
                               " size_bytes, artifact, blob, preview) VALUES (?,?,?,?,?,?,?,?,?)", entry)
                    if items:
                        db.execute("DELETE FROM items WHERE cache_key=?", (entry[0],))
                        db.executemany("INSERT INTO items (cache_key, idx, item_id, data_json) VALUES (?,?,?,?)",
                                       items)
                by_columns: dict[tuple[str, ...], list[tuple]] = {}
                for (run_id, node), fields in nodes.items():
                    by_columns.setdefault(tuple(fields), []).append((*fields.values(), run_id, node))
                for columns, rows in by_columns.items():  # one statement per set of changed columns
                    sets = ", ".join(f"{k}=?" for k in columns)
                    db.executemany(f"UPDATE node_runs SET {sets} WHERE run_id=? AND node=?", rows)
                if metrics:
                    db.executemany("INSERT OR REPLACE INTO metrics VALUES (?,?,?,?,?)", metrics)
                if touched:
                    stamp = time.time()
                    db.executemany("UPDATE cache_entries SET last_used_at=? WHERE key=?",
                                   [(stamp, k) for k in touched])
                if also is not None:
                    also(db)

            try:
                self.conn.write(write)
            except BaseException:
                # Nothing was written: keep the changes for the next flush (newer ones win).
                for key, fields in nodes.items():
                    self._pending_nodes[key] = {**fields, **self._pending_nodes.get(key, {})}
                self._pending_results = {**results, **self._pending_results}
                self._pending_metrics = metrics + self._pending_metrics
                raise


class _Hold:
    def __init__(self, store: RunWrites):
        self.store = store

    def __enter__(self) -> None:
        with self.store.conn.lock:
            self.store._held += 1

    def __exit__(self, *exc: Any) -> None:
        with self.store.conn.lock:
            self.store._held -= 1
        self.store.flush(due_only=True)
