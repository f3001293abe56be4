"""The read-only view of a store: what `pipe runs`, `pipe show`, the studies listings and the TUI read.

Opening it never creates or migrates anything: a missing store, an empty file or an old schema is a
`StoreError` (exit code 2) naming the path. `data_version()` moves only when another connection commits,
a cheap live-refresh signal for the TUI.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..redaction import redact
from .artifacts import ArtifactStore, decode_value
from .connection import Connection
from .embeddings import EmbeddingReads
from .filehashes import FileHashReads
from .llm import LLMReads
from .records import Page, RunRecord
from .runs import SQL_CHUNK, RunReads
from .studies import StudyReads

TUI_BUSY_TIMEOUT_S = 1.5  # a locked store is reported after this long instead of freezing a TUI worker


def store_db_path(root: str | Path) -> tuple[Path, Path]:
    """(store folder, database file) of a store folder or a store.db path."""
    root = Path(root)
    if root.suffix == ".db":
        return root.parent, root
    return root, root / "store.db"


class ReadOnlyStore(RunReads, LLMReads, EmbeddingReads, FileHashReads, StudyReads):
    def __init__(self, root: str | Path, busy_timeout_s: float = 10.0, lock_retry_s: float = 10.0):
        self.root, self.path = store_db_path(root)
        if not self.path.exists():
            raise StoreError(f"no run store at {root} (run 'pipe run GRAPH.yaml' first, or pass --store PATH)")
        self.conn = Connection(self.path, readonly=True, busy_timeout_s=busy_timeout_s, lock_retry_s=lock_retry_s)
        self.artifacts = ArtifactStore(self.root)
        self.secrets: dict[str, str] = {}

    def redact(self, value: Any) -> Any:
        return redact(value, self.secrets)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> ReadOnlyStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def load_result(self, key: str) -> dict[str, Any]:
        """A memoized result, decoded and verified (a local trial worker reads the values its run needs)."""
        rows = self.conn.rows("SELECT op, artifact, blob FROM cache_entries WHERE key=?", (key,))
        if not rows:
            raise KeyError(key)
        artifact, blob = rows[0]["artifact"], rows[0]["blob"]
        return decode_value(self.artifacts.get(artifact) if artifact is not None else blob, rows[0]["op"])

    # --- reads the TUI pages through ------------------------------------------------------------------------
    def data_version(self) -> int:
        """Changes whenever another connection commits to the database (cheap: no table is read)."""
        return self.conn.scalar("PRAGMA data_version")

    def runs(self, limit: int = 5000) -> list[Any]:
        return self.list_runs(limit)

    def run(self, run_id: str) -> RunRecord | None:
        """A run by its exact id."""
        rows = self.conn.rows("SELECT * FROM runs WHERE id = ?", (run_id,))
        return RunRecord.from_row(rows[0]) if rows else None

    def studies(self) -> list[Any]:
        return self.list_studies()

    def study(self, study_id: str) -> Any:
        return self.get_study(study_id)

    def node_metrics(self, run_id: str) -> list[Any]:
        return self.run_metrics(run_id)

    def item_counts(self, cache_keys: list[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for i in range(0, len(cache_keys), SQL_CHUNK):
            part = cache_keys[i:i + SQL_CHUNK]
            for r in self.conn.rows(f"SELECT cache_key, count(*) AS n FROM items WHERE cache_key IN"
                                    f" ({','.join('?' * len(part))}) GROUP BY cache_key", part):
                counts[r["cache_key"]] = r["n"]
        return counts

    def items_page(self, cache_key: str, offset: int, limit: int, search: str = "") -> Page:
        where, args = "cache_key = ?", [cache_key]
        if search:
            where += " AND (data_json LIKE ? OR item_id LIKE ?)"
            args += [f"%{search}%"] * 2
        total = self.conn.scalar(f"SELECT count(*) FROM items WHERE {where}", args)
        rows = self.conn.rows(f"SELECT idx, item_id, data_json FROM items WHERE {where} ORDER BY idx"
                              " LIMIT ? OFFSET ?", (*args, limit, offset))
        out = []
        for r in rows:
            data = _loads(r["data_json"])
            out.append({"#": r["idx"], **(data if isinstance(data, dict) else {"value": data})})
        return Page(offset, total or 0, out)


def open_store_readonly(root: str | Path, busy_timeout_s: float = 10.0) -> ReadOnlyStore:
    """The store at `root` for reading; StoreError (exit 2) naming the path when there is none."""
    return ReadOnlyStore(root, busy_timeout_s=busy_timeout_s, lock_retry_s=busy_timeout_s)


def _loads(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
