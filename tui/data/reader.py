"""The TUI's view of a run store: the store package's read-only view (compiler/store/readonly.py), opened with a
short busy timeout so a locked store is reported (StoreLocked, retried on the next refresh) instead of freezing a
worker. Large tables (LLM calls, items) are read a page at a time with a total count."""

from __future__ import annotations

from pathlib import Path

from pipec.compiler.store.connection import StoreLocked
from pipec.compiler.store.readonly import TUI_BUSY_TIMEOUT_S, ReadOnlyStore
from pipec.compiler.store.records import Page

BUSY_TIMEOUT_S = TUI_BUSY_TIMEOUT_S

__all__ = ["BUSY_TIMEOUT_S", "Page", "StoreLocked", "StoreReader"]


class StoreReader(ReadOnlyStore):
    """Open a store folder (or a store.db path) read-only; StoreError with a clear message when it is not one."""

    def __init__(self, root: str | Path):
        super().__init__(root, busy_timeout_s=BUSY_TIMEOUT_S, lock_retry_s=0.0)
