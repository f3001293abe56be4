"""The plan cache: what an earlier `pipe validate` printed, or what an earlier `pipe run` planned, keyed by the
exact command, and valid while nothing it depended on changed (startup/deps.py).

One JSON file per command line, in PIPEC_CACHE_DIR/plans (beside the op index, compiler/op_index.py): the key
is the hash of the command's arguments, the current directory, the whole environment, the interpreter and
`sys.path`. An entry holds the dependencies' stamps, the installed distributions' stamp and the payload.
PIPEC_NO_PLAN_CACHE=1 turns it off. An unreadable or unwritable cache is never an error: the command then just
runs the slow way.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

FORMAT = 1
MAX_ENTRIES = 2000  # past this many files, the older half is removed when an entry is written


def enabled() -> bool:
    return not os.environ.get("PIPEC_NO_PLAN_CACHE")


def command_key(argv: list[str]) -> str:
    """The key of one command line in this process's circumstances (call it before anything edits os.environ)."""
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = ""
    parts = [str(FORMAT), sys.executable, sys.version, *sys.path, "\0", cwd, "\0", *argv, "\0",
             *(f"{k}={v}" for k, v in sorted(os.environ.items()))]
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:32]


def folder() -> Path:
    from ..op_index import cache_file

    return cache_file().parent / "plans"


def read(key: str) -> dict[str, Any] | None:
    """The entry for `key` if there is one and nothing it depended on changed."""
    from ..op_index import distributions_stamp
    from .deps import unchanged

    try:
        entry = json.loads((folder() / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("format") != FORMAT or not isinstance(entry.get("paths"), dict):
        return None
    try:
        current = entry.get("distributions") == distributions_stamp() and unchanged(entry["paths"])
    except (TypeError, ValueError):  # a file of another shape
        return None
    return entry if current else None


def write(key: str, kind: str, payload: dict[str, Any], paths: dict[str, Any]) -> bool:
    """Store an entry (atomically: a concurrent reader sees the old file or the new one)."""
    from ..op_index import distributions_stamp, write_json

    entry = {"format": FORMAT, "kind": kind, "distributions": distributions_stamp(), "paths": paths,
             "payload": payload}
    where = folder()
    if not write_json(where / f"{key}.json", entry):  # values as the store writes them (default=str)
        return False
    try:
        _prune(where)
    except OSError:
        pass
    return True


def forget(key: str) -> None:
    try:
        (folder() / f"{key}.json").unlink()
    except OSError:
        pass


def _prune(where: Path) -> None:
    entries = list(where.glob("*.json"))
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda p: p.stat().st_mtime if p.exists() else 0)
    for old in entries[: len(entries) // 2]:
        old.unlink(missing_ok=True)
