"""Results of the parts of a node (one file of a folder), memoized by content like node results.

An op that maps over many independent inputs asks for the parts whose key is stored and computes only the others,
so editing one file of a large folder re-does the work of that file only. Parts live beside node results (same
table, same value encoding, same verification) and are cleared with them (`pipe cache clear`)."""

from __future__ import annotations

from typing import Any

from .codec import CorruptValue


class PartCache:
    def __init__(self, store: Any = None):
        self.store = store

    def get(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """The stored parts among `keys`; a damaged one counts as missing (it is computed again)."""
        if self.store is None or not keys:
            return {}
        out = {}
        for key in self.store.cached_keys(keys):
            try:
                out[key] = self.store.load_result(key)
            except (KeyError, CorruptValue):
                continue
        return out

    def put(self, key: str, op: str, node: str, value: dict[str, Any]) -> None:
        if self.store is not None:
            self.store.save_result(key, op, node, value, preview="")
