"""One SQLite connection to a store database, shared by a process's threads, safe beside other processes.

WAL mode lets readers (the TUI, `pipe runs`) read while one writer writes. Every logical write runs as one
`BEGIN IMMEDIATE` transaction (it takes the write lock up front, so it never fails half-way on a lock upgrade);
a busy database is waited on by SQLite (busy timeout) and then retried here with backoff, so concurrent
processes queue instead of failing with `database is locked`.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from ..errors import StoreError
from .schema import MIGRATIONS

T = TypeVar("T")

BUSY_TIMEOUT_S = 10.0  # SQLite waits this long for a lock before reporting busy ...
LOCK_RETRY_S = 120.0  # ... and a write is retried until this much time has passed


DAMAGED = re.compile(r"malformed|not a database|file is encrypted|disk image", re.IGNORECASE)


class StoreLocked(StoreError):
    """Another process holds a lock on the store for longer than allowed: worth retrying, not fatal."""


def is_locked(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


class Connection:
    """The database of a store folder (or a `store.db` path), read-write (migrated on open) or read-only."""

    def __init__(self, path: Path, readonly: bool, busy_timeout_s: float = BUSY_TIMEOUT_S,
                 lock_retry_s: float = LOCK_RETRY_S):
        self.path = path
        self.readonly = readonly
        self.lock_retry_s = lock_retry_s
        self.lock = threading.RLock()
        try:
            uri = f"file:{path}?mode=ro" if readonly else str(path)
            self.db = sqlite3.connect(uri, uri=readonly, check_same_thread=False, timeout=busy_timeout_s,
                                      isolation_level=None)
            self.db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            if not readonly:
                self.retrying(lambda: self.db.execute("PRAGMA journal_mode = WAL"))
                self.db.execute("PRAGMA synchronous = NORMAL")
                self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise self.error(exc, "open") from None

    # --- errors and retries ---------------------------------------------------------------------------------
    def error(self, exc: sqlite3.Error, doing: str) -> StoreError:
        if is_locked(exc):
            return StoreLocked(f"the run store {self.path} is locked by another process (tried for "
                               f"{self.lock_retry_s:g} s); retry, or see which process holds it")
        if DAMAGED.search(str(exc)):
            folder = self.path.parent
            return StoreError(f"cannot {doing} the run store {self.path}: {exc}; the file is damaged. Move the "
                              f"store away and re-run to recompute (mv {folder} {folder}.damaged), or recover "
                              f"what SQLite can: sqlite3 {self.path} .recover | sqlite3 recovered.db")
        return StoreError(f"cannot {doing} the run store {self.path}: {exc}")

    def retrying(self, attempt: Callable[[], T]) -> T:
        deadline = time.monotonic() + self.lock_retry_s
        delay = 0.005
        while True:
            try:
                return attempt()
            except sqlite3.OperationalError as exc:
                if not is_locked(exc) or time.monotonic() + delay > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 0.25)

    # --- reads and writes -----------------------------------------------------------------------------------
    def rows(self, sql: str, args: Iterable[Any] = ()) -> list[dict[str, Any]]:
        args = tuple(args)

        def attempt() -> list[dict[str, Any]]:
            with self.lock:
                cur = self.db.execute(sql, args)
                cols = [c[0] for c in cur.description]
                return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

        try:
            return self.retrying(attempt)
        except sqlite3.Error as exc:
            raise self.error(exc, "read") from None

    def tuples(self, sql: str, args: Iterable[Any] = ()) -> list[tuple]:
        """Like rows(), as plain tuples in the SELECT's column order (no dict per row, for bulk reads)."""
        args = tuple(args)

        def attempt() -> list[tuple]:
            with self.lock:
                return self.db.execute(sql, args).fetchall()

        try:
            return self.retrying(attempt)
        except sqlite3.Error as exc:
            raise self.error(exc, "read") from None

    def scalar(self, sql: str, args: Iterable[Any] = ()) -> Any:
        rows = self.rows(sql, args)
        return next(iter(rows[0].values())) if rows else None

    def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(db)` as one transaction (all of it or nothing), retried while another process writes."""
        if self.readonly:
            raise StoreError(f"the run store {self.path} is open read-only")

        def attempt() -> T:
            with self.lock:
                self.db.execute("BEGIN IMMEDIATE")
                try:
                    out = work(self.db)
                    self.db.execute("COMMIT")
                    return out
                except BaseException:
                    if self.db.in_transaction:
                        self.db.execute("ROLLBACK")
                    raise

        try:
            return self.retrying(attempt)
        except sqlite3.Error as exc:
            raise self.error(exc, "write to") from None

    def close(self) -> None:
        with self.lock:
            self.db.close()

    # --- schema ---------------------------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        version = self.retrying(lambda: self.schema_version)
        if version == 0 and self.readonly and not self.scalar("SELECT count(*) FROM sqlite_master"):
            raise StoreError(f"{self.path} is an empty database, not a run store")
        if version > len(MIGRATIONS):
            raise StoreError(f"the run store {self.path} has schema version {version}, newer than this pipec "
                             f"understands ({len(MIGRATIONS)}); upgrade pipec")
        if self.readonly:
            if version < len(MIGRATIONS):
                raise StoreError(f"the run store {self.path} has an old schema (version {version}); "
                                 "run any 'pipe run --store ...' on it once to upgrade it")
            return
        for i in range(version, len(MIGRATIONS)):
            self.write(lambda db, i=i: _apply(db, i))


def _apply(db: sqlite3.Connection, i: int) -> None:
    # Re-checked inside the write lock: another process may have migrated meanwhile.
    if db.execute("PRAGMA user_version").fetchone()[0] > i:
        return
    for statement in MIGRATIONS[i].split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute(f"PRAGMA user_version = {i + 1}")
