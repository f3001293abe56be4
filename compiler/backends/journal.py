"""The store a worker runs a graph against: reads come from what the driver shipped (the plan's memoized
values) and from a read-only view of the driver's store when the worker can open it; every write is kept in a
journal that travels back with the result and is replayed by the driver, the only writer of the run store.

Only the Store methods the executor, the LLM gateway and the ops call are provided. A read statement given to
`execute` runs on the read-only store (or is answered empty without one); any other statement is journaled. The
store's typed reads (cached LLM responses, embeddings) go to the read-only store too, or find nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pipec.compiler.interpolate import redact
from pipec.compiler.store.interface import WRITE_METHODS

# Store methods that write; the journal records them in order, with their arguments.
WRITES = WRITE_METHODS
# Typed reads answered without a read-only store: nothing is cached.
EMPTY_READS = {"get_llm_response": lambda *a, **k: None, "get_embeddings": lambda *a, **k: {}}


class _Empty:
    """The cursor of a read the worker cannot answer (no access to the driver's store)."""

    def fetchone(self) -> None:
        return None

    def fetchall(self) -> list:
        return []

    def __iter__(self):
        return iter(())


class JournalStore:
    def __init__(self, cached: Iterable[str], values: dict[str, dict[str, Any]], store_root: str | None = None,
                 secrets: dict[str, str] | None = None):
        self.cached = set(cached)
        self.values = dict(values)
        self.secrets: dict[str, str] = dict(secrets or {})
        self.entries: list[tuple[str, tuple, dict]] = []
        self.reader = _open_reader(store_root)

    # --- reads ----------------------------------------------------------------------------------------------
    def cached_keys(self, keys: Iterable[str]) -> set[str]:
        return {k for k in keys if k in self.cached}

    def load_result(self, key: str) -> dict[str, Any]:
        return self.values[key]

    def query(self, sql: str, args: Iterable[Any] = ()) -> list[dict]:
        return self.reader.query(sql, args) if self.reader is not None else []

    def execute(self, sql: str, args: Iterable[Any] = ()) -> Any:
        if _is_read(sql):
            return self.reader.execute(sql, args) if self.reader is not None else _Empty()
        self.entries.append(("execute", (sql, list(args)), {}))
        return _Empty()

    # --- secrets --------------------------------------------------------------------------------------------
    def add_secrets(self, secrets: dict[str, str]) -> None:
        self.secrets.update(secrets)
        self.entries.append(("add_secrets", (dict(secrets),), {}))

    def redact(self, value: Any) -> Any:
        return redact(value, self.secrets)

    # --- writes: journaled ----------------------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name in WRITES:
            def record(*args: Any, **kwargs: Any) -> Any:
                self.entries.append((name, args, kwargs))
                return 0

            return record
        reader = self.__dict__.get("reader")
        if not name.startswith("_") and reader is not None and hasattr(reader, name):
            return getattr(reader, name)
        if name in EMPTY_READS:
            return EMPTY_READS[name]
        raise AttributeError(name)

    def reap_dead_runs(self) -> int:  # the driver reaps its own store
        return 0

    def flush(self, due_only: bool = False) -> None:
        return None

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()


def replay(store: Any, entries: list[tuple[str, tuple, dict]]) -> None:
    """Write a worker's journal into the driver's store, in the order the worker wrote it."""
    for name, args, kwargs in entries:
        getattr(store, name)(*args, **kwargs)
    store.flush()


def _is_read(sql: str) -> bool:
    return sql.lstrip().split(None, 1)[0].upper() in ("SELECT", "WITH")


def _open_reader(store_root: str | None) -> Any:
    """The driver's store opened read-only (same machine or a shared filesystem), else None: a worker on
    another machine without the store folder then reads no LLM-response or embedding cache."""
    if not store_root or not (Path(store_root) / "store.db").exists():
        return None
    from pipec.compiler.errors import StoreError
    from pipec.compiler.store import Store

    try:
        return Store(store_root, readonly=True)
    except StoreError:
        return None
