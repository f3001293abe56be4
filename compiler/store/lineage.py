"""The previous result of a node's lineage: what an incremental op starts from.

A node's result is memoized by the content of its inputs, so a folder with one edited file is a new key and
would be computed from scratch. An incremental op also records, under a *lineage* key (its op, node name,
parameters and code, but not its inputs), which result key it produced last and a small memo (e.g. the content
hash of each input document). The next run of that lineage loads the previous result and redoes only the parts
whose inputs changed; the output stays a pure function of the inputs (the parts it reuses are keyed by content).

Records live beside node results (same table, same verification), one per lineage, replaced on every run, and
are cleared with them (`pipe cache clear`). A missing or damaged previous result means: compute from scratch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .codec import CorruptValue

LINEAGE_OP = "lineage"


@dataclass
class Previous:
    """The last result of a lineage (`outputs` as the node returned them) and the memo recorded with it."""

    outputs: dict[str, Any]
    memo: Any


class LineageCache:
    def __init__(self, store: Any = None):
        self.store = store

    def previous(self, lineage: str) -> Previous | None:
        """The lineage's last result, or None (never ran, its result was evicted or is damaged, or no store)."""
        if self.store is None:
            return None
        record_key = f"lineage:{lineage}"
        try:
            record = self.store.load_result(record_key)
            outputs = self.store.load_result(record["result"])
        except (KeyError, CorruptValue, TypeError):
            return None
        return Previous(outputs, record.get("memo"))

    def record(self, lineage: str, node: str, result_key: str, memo: Any) -> None:
        """Remember that this lineage's result is now `result_key` (saved by the executor when the node ends)."""
        if self.store is not None and result_key:
            self.store.save_result(f"lineage:{lineage}", LINEAGE_OP, node, {"result": result_key, "memo": memo},
                                   preview="")

    def memo(self, lineage: str) -> Any:
        """The memo recorded with the lineage's last result, without loading that result (None if none)."""
        if self.store is None:
            return None
        try:
            return self.store.load_result(f"lineage:{lineage}").get("memo")
        except (KeyError, CorruptValue, AttributeError):
            return None
