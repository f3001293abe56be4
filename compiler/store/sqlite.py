"""The run store: SQLite (WAL) for runs, nodes, metrics, LLM calls, embeddings and studies; artifacts on disk.

Layout of a store folder (default `.pipe/`, see docs/store.md):
    store.db                  SQLite database, schema in schema.py
    artifacts/ab/abcdef...    large memoized node results, content-addressed by cache key (artifacts.py)

Every text written passes through `redact` so secrets never reach the disk. One connection is shared by the
process's threads (connection.py); other processes read and write concurrently (WAL, busy timeout, retries).
The queries live beside their tables: runs.py, llm.py, embeddings.py, studies.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..redaction import redact
from .artifacts import ArtifactStore
from .connection import Connection
from .embeddings import EmbeddingReads, EmbeddingWrites
from .filehashes import FileHashReads, FileHashWrites
from .interface import StorageBase
from .llm import LLMReads, LLMWrites
from .runs import RunReads, RunWrites
from .studies import StudyReads, StudyWrites

DEFAULT_STORE = ".pipe"


class Store(RunReads, RunWrites, LLMReads, LLMWrites, EmbeddingReads, EmbeddingWrites, FileHashReads,
            FileHashWrites, StudyReads, StudyWrites, StorageBase):
    def __init__(self, root: str | Path = DEFAULT_STORE, readonly: bool = False):
        self.root = Path(root)
        self.readonly = readonly
        self.secrets: dict[str, str] = {}
        self._init_pending()
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
        self.conn = Connection(self.path, readonly)

    @property
    def schema_version(self) -> int:
        return self.conn.schema_version

    @property
    def db(self) -> Any:
        """The raw sqlite3 connection (tests and diagnostics only; code uses the typed methods)."""
        return self.conn.db

    def close(self) -> None:
        with self.conn.lock:
            if not self.readonly:
                self.flush()
            self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def add_secrets(self, secrets: dict[str, str]) -> None:
        self.secrets.update(secrets)

    def redact(self, value: Any) -> Any:
        return redact(value, self.secrets)

    # --- raw SQL: for tests and one-off diagnostics, not part of the storage interface ----------------------
    def query(self, sql: str, args: Iterable[Any] = ()) -> list[dict[str, Any]]:
        return self.conn.rows(sql, args)

    def execute(self, sql: str, args: Iterable[Any] = ()) -> Any:
        with self.conn.lock:
            return self.conn.db.execute(sql, tuple(args))
