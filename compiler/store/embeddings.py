"""The embedding cache: one vector per (model, SHA-256 of the text), float32 exactly as the model returned it.

`EmbeddingCache` is what ops and the gateway use (through the run context: `ctx.cache.embeddings`): a
process-wide memory in front of the store's `embedding_cache` table. Writes go to the store at once, one
transaction per `put` (callers put each batch as it completes, so a killed run keeps its finished batches).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy is imported where vectors are read or written: `pipe run` without embeddings skips it
    import numpy as np

from ..process_caches import register_process_cache
from .runs import SQL_CHUNK

MEMORY_LIMIT = 100_000  # vectors kept in memory per process (~150 MB at 384-d)


def embedding_key(text: str) -> str:
    """The cache key of a text (the one key of the embedding cache)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingReads:
    def get_embeddings(self, model: str, keys: list[str]) -> dict[str, np.ndarray]:
        import numpy as np

        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), SQL_CHUNK):
            part = keys[i:i + SQL_CHUNK]
            for r in self.conn.rows(f"SELECT text_hash, dim, vector FROM embedding_cache WHERE model=? AND"
                                    f" text_hash IN ({','.join('?' * len(part))})", (model, *part)):
                found[r["text_hash"]] = np.frombuffer(r["vector"], dtype=np.float32, count=r["dim"])
        return found

    def count_embeddings(self, model: str | None = None) -> int:
        if model is None:
            return self.conn.scalar("SELECT count(*) FROM embedding_cache") or 0
        return self.conn.scalar("SELECT count(*) FROM embedding_cache WHERE model=?", (model,)) or 0


class EmbeddingWrites:
    def put_embeddings(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        """Store vectors (one transaction); a key already stored keeps its vector."""
        import numpy as np

        rows = [(model, k, int(v.shape[0]), np.ascontiguousarray(v, dtype=np.float32).tobytes())
                for k, v in vectors.items()]
        if not rows:
            return

        def put(db: sqlite3.Connection) -> None:
            db.executemany("INSERT OR IGNORE INTO embedding_cache (model, text_hash, dim, vector) VALUES (?,?,?,?)",
                           rows)

        self.conn.write(put)


# --- the process-wide memory in front of a store ---------------------------------------------------------------
_memory: dict[tuple[str, str], np.ndarray] = {}
_memory_lock = threading.Lock()


@register_process_cache
def clear_memory() -> None:
    with _memory_lock:
        _memory.clear()


class EmbeddingCache:
    """Vectors by (model, key): memory first, then the store (`store` may be None: memory only).

    The memory is process-wide unless `memory` is given (the gateway keeps one per gateway, so that a run
    without a store or with its cache off does not see another run's vectors)."""

    def __init__(self, store: Any = None, memory: dict[tuple[str, str], np.ndarray] | None = None):
        self.store = store
        self.memory = _memory if memory is None else memory

    def get(self, model: str, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with _memory_lock:
            for k in keys:
                v = self.memory.get((model, k))
                if v is not None:
                    found[k] = v
        missing = [k for k in dict.fromkeys(keys) if k not in found]
        if self.store is not None and missing:
            stored = self.store.get_embeddings(model, missing)
            self._remember(model, stored)
            found.update(stored)
        return found

    def put(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        """Remember and store `vectors` now (call it per completed batch)."""
        import numpy as np

        vectors = {k: np.asarray(v, dtype=np.float32) for k, v in vectors.items()}
        self._remember(model, vectors)
        if self.store is not None and vectors:
            self.store.put_embeddings(model, vectors)

    def _remember(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        with _memory_lock:
            if len(self.memory) + len(vectors) > MEMORY_LIMIT:
                self.memory.clear()
            for k, v in vectors.items():
                self.memory[(model, k)] = v
