"""Content fingerprints: canonical hashing of parameters, and of files or folders an op reads.

Cache keys must change whenever anything that determines a result changes, so files are hashed by content,
not by modification time; compiler/store/filehashes.py reuses a file's hash while its stat is unchanged (with
git's racy-clean rule), so a large folder's key reads only the files that changed.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

from .startup import deps


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


def fingerprint_path(path: str | Path, files: Any = None) -> str:
    """Hash of a file's content, or of a folder's file names and contents (recursively, sorted).

    `files` (a compiler.store.filehashes.FileHashCache, `ctx.cache.files` in a run) reuses the hash of every file
    whose stat is unchanged; without it, a process-wide one without a store. A missing path hashes as 'missing'
    so the op itself can report the error when it runs."""
    if files is None:
        from .store.filehashes import FileHashCache

        files = FileHashCache()
    path = Path(path)
    deps.note(path)  # the start-up fast path replays a plan only while this is unchanged
    try:
        path.stat()
    except OSError:
        return "missing"
    if path.is_file():
        return files.content_hashes([path])[0] or "missing"
    names = folder_files(path)
    prefix = os.path.join(os.path.abspath(path), "")
    if deps.recording():
        for rel in names:
            deps.note(prefix + rel)  # before hashing: a change meanwhile shows as a changed stamp
    h = hashlib.sha256()
    for rel, digest in zip(names, files.content_hashes([prefix + rel for rel in names]), strict=True):
        h.update(rel.encode())
        h.update((digest or "missing").encode())  # a dangling symlink, or a file removed meanwhile
    return h.hexdigest()


def folder_files(path: Path) -> list[str]:
    """Relative names of the files under a folder, as fingerprinted: sorted walk, hidden names left out."""
    out = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel_root = os.path.relpath(root, path)
        for name in sorted(files):
            if not name.startswith("."):
                out.append(name if rel_root == "." else os.path.join(rel_root, name))
    return out
