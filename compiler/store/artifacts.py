"""Artifacts: large memoized node results as content-addressed files under `<store>/artifacts/`.

A node result is encoded to bytes once (`encode_value`); small encodings live inline in the database, large
ones here, one file per cache key, written atomically (temporary file, then rename) so an entry only ever
points at a complete file. This module is the one seam for the value format and on-disk blobs: verification
of what is read back and a non-pickle codec belong here (or in a codec module this one calls).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from . import codec


def encode_value(outputs: dict[str, Any], op: str | None = None) -> bytes:
    """The bytes stored for a node's outputs (inline or as an artifact): codec.py's self-verifying format,
    pickle only inside it and only for ops that opt in."""
    return codec.encode(outputs, allow_pickle=codec.pickle_allowed(op))


def decode_value(blob: bytes | None, op: str | None = None) -> dict[str, Any]:
    """Verified on every read: raises codec.CorruptValue when the bytes are not what was written."""
    return codec.decode(blob, allow_pickle=codec.pickle_allowed(op))


class ArtifactStore:
    """Content-addressed blobs below `root/artifacts/`, addressed by the relative path `put` returns."""

    SUFFIX = ".pkl"

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.folder = self.root / "artifacts"

    def put(self, key: str, blob: bytes) -> str:
        """Write `blob` for cache key `key`; returns the path (relative to the store root) to record."""
        relative = f"artifacts/{key[:2]}/{key}{self.SUFFIX}"
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}.{threading.get_ident()}")
        tmp.write_bytes(blob)
        os.replace(tmp, path)  # the entry only ever points at a complete file
        return relative

    def get(self, relative: str) -> bytes:
        """The blob, or codec.CorruptValue when the file is missing or unreadable (verified by the decoder)."""
        try:
            return (self.root / relative).read_bytes()
        except OSError as exc:
            raise codec.CorruptValue(f"artifact {relative} cannot be read: {exc.strerror or exc}") from None

    def clear(self) -> int:
        removed = 0
        for path in self.folder.glob(f"*/*{self.SUFFIX}"):
            path.unlink(missing_ok=True)
            removed += 1
        return removed
