"""Content fingerprints: canonical hashing of parameters, and of files or folders an op reads.

Cache keys must change whenever anything that determines a result changes, so files are hashed by content,
not by modification time. A per-process memo keyed by (path, size, mtime) avoids re-reading unchanged files.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

_file_memo: dict[tuple[str, int, int], str] = {}


def canonical_json(value: Any) -> str:
    """A stable JSON text for hashing: sorted keys, no whitespace, floats normalized."""
    return json.dumps(_normalize(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _normalize(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _normalize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalize(v) for v in value]
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return repr(value)
        if value.is_integer():
            return {"__float__": repr(value)}  # keep 1.0 distinct from 1
        return value
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if hasattr(value, "model_dump"):
        return _normalize(value.model_dump(mode="json"))
    if isinstance(value, Path):
        return str(value)
    return repr(value)


def hash_text(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def hash_value(value: Any) -> str:
    return hash_text(canonical_json(value))


def _hash_file(path: Path, st: os.stat_result) -> str:
    memo_key = (str(path), st.st_size, st.st_mtime_ns)
    cached = _file_memo.get(memo_key)
    if cached is not None:
        return cached
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    digest = h.hexdigest()
    _file_memo[memo_key] = digest
    return digest


def fingerprint_path(path: str | Path) -> str:
    """Hash of a file's content, or of a folder's file names and contents (recursively, sorted).

    A missing path hashes as 'missing' so the op itself can report the error when it runs."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError:
        return "missing"
    if path.is_file():
        return _hash_file(path, st)
    h = hashlib.sha256()
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            full = Path(root) / name
            h.update(str(full.relative_to(path)).encode())
            try:
                h.update(_hash_file(full, full.stat()).encode())
            except OSError:  # a dangling symlink, or a file removed meanwhile: the op skips it with a warning
                h.update(b"missing")
    return h.hexdigest()
