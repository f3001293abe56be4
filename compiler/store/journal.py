"""The store a worker runs a graph against (parallel trials, compiler/backends/): it never writes the run store.

Reads of memoized node results come from what the driver shipped with the task (the plan's cached keys; the
values the run needs for a Ray worker, which may be on another machine) or else from a read-only view of the
driver's store (a local worker decodes what it needs itself). Other reads (LLM responses, embeddings) go to that
view when the worker can open it (same machine, or the store folder on a shared filesystem), else find nothing. Every
write (`WRITE_METHODS`) is kept in a journal that travels back with the result; the driver replays it on its
own store, so the driver stays the only writer.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .interface import WRITE_METHODS
from .readonly import ReadOnlyStore

NOT_JOURNALED = ("reap_dead_runs", "reap_trials")  # the driver reaps its own store
Journal = list[tuple[str, tuple, dict]]


class JournalStore:
    def __init__(self, cached: Iterable[str], values: dict[str, dict[str, Any]], store_root: str | None = None,
                 secrets: dict[str, str] | None = None, on_save: Any = None):
        """on_save(entry): where a memoized result's `save_encoded` entry goes at once, instead of the journal
        (a local worker streams it to the driver, so that a trial held for that key can start sooner)."""
        from pipec.compiler.redaction import redact

        self._redact = redact
        self.cached = set(cached)
        self.values = dict(values)
        self.secrets: dict[str, str] = dict(secrets or {})
        self.entries: Journal = []
        self.on_save = on_save
        self.reader = _open_reader(store_root)

    # --- memoized results: from the task --------------------------------------------------------------------
    def cached_keys(self, keys: Iterable[str]) -> set[str]:
        return {k for k in keys if k in self.cached}

    def cache_hits(self, keys: Iterable[str]) -> dict[str, Any]:
        """The task's cached keys; preview and size unknown here (the driver's `add_nodes` reads them)."""
        from .records import CacheHit

        return {k: CacheHit(k) for k in keys if k in self.cached}

    def load_result(self, key: str) -> dict[str, Any]:
        """A memoized result the driver shipped, else read from the driver's store (a local worker gets keys
        only: it decodes what it needs itself, in parallel with the other trials)."""
        if key in self.values:
            return self.values[key]
        if self.reader is None:
            raise KeyError(key)
        return self.reader.load_result(key)

    def save_result(self, key: str, op: str, node: str, outputs: dict[str, Any], preview: str,
                    items: list[tuple[int, str | None, str]] | None = None) -> int:
        """Encoded here, in the worker (in parallel with other trials): the journal carries bytes, and the
        driver's replay only stores them (`save_encoded`)."""
        from .artifacts import encode_value

        blob = encode_value(outputs, op)
        entry = ("save_encoded", (key, op, node, blob, preview, items), {})
        if self.on_save is not None:
            self.on_save(entry)
        else:
            self.entries.append(entry)
        return len(blob)

    # --- caches: from the driver's store when reachable -----------------------------------------------------
    def get_llm_response(self, request_hash: str) -> Any:
        return self.reader.get_llm_response(request_hash) if self.reader is not None else None

    def get_embeddings(self, model: str, keys: list[str]) -> dict[str, Any]:
        return self.reader.get_embeddings(model, keys) if self.reader is not None else {}

    # --- secrets and lifetime -------------------------------------------------------------------------------
    def add_secrets(self, secrets: dict[str, str]) -> None:
        self.secrets.update(secrets)
        self.entries.append(("add_secrets", (dict(secrets),), {}))

    def redact(self, value: Any) -> Any:
        return self._redact(value, self.secrets)

    def flush(self, due_only: bool = False) -> None:
        return None

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()

    # --- writes: journaled; other reads: the read-only view -------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name in NOT_JOURNALED:
            return lambda *args, **kwargs: 0
        if name in WRITE_METHODS:
            def record(*args: Any, **kwargs: Any) -> Any:
                self.entries.append((name, args, kwargs))
                return 0

            return record
        reader = self.__dict__.get("reader")
        if reader is not None and hasattr(reader, name):
            return getattr(reader, name)
        raise AttributeError(f"{name} is not available to a worker (parallel trials; docs/parallel.md)")


def replay(store: Any, entries: Journal) -> None:
    """Write a worker's journal into the driver's store, in the order the worker wrote it."""
    for name, args, kwargs in entries:
        getattr(store, name)(*args, **kwargs)
    store.flush()


def _open_reader(store_root: str | None) -> ReadOnlyStore | None:
    if not store_root or not (Path(store_root) / "store.db").exists():
        return None  # another machine without the store folder: no LLM-response or embedding cache
    from pipec.compiler.errors import StoreError

    try:
        return ReadOnlyStore(store_root)
    except StoreError:
        return None
