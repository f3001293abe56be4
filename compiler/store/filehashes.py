"""Content hashes of files, reused while a file's stat is unchanged: a folder input's node key reads only the files
that changed, not all of them.

    files = FileHashCache(store)           # ops and the compiler reach it as ctx.cache.files
    files.content_hash(path)               # SHA-256 hex of the file's bytes (OSError if it cannot be read)
    files.content_hashes([p1, p2, ...])    # the same for many files, one store query: [hex or None, ...]

An entry (absolute path -> size, mtime_ns, ctime_ns, inode, sha256, recorded_ns) is trusted only when the file's
size, mtime, ctime and inode are still the recorded ones AND the file had last been modified more than `RACY_NS`
before its hash was recorded. The second condition is git's "racy clean" rule: a file rewritten again right after
it was hashed, within the file system's timestamp granularity (2 s on FAT, 1 s on some network file systems), can
keep the same mtime, so such an entry is re-hashed until the file is older than that.
What it cannot detect: a change that keeps size, mtime, ctime and inode, which a program cannot do by itself
(`os.utime` moves ctime to now) but a changed system clock, a file system that does not keep ctime, or writing the
block device can. `PIPEC_REHASH=1` in the environment hashes every file (and records the fresh hashes).

Entries live in the store's `file_hashes` table (one row per path, replaced when a file is hashed again) and in
a process-wide memory in front of it; without a store, the memory only.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from ..process_caches import register_process_cache
from .runs import SQL_CHUNK

RACY_NS = 2_000_000_000  # a file modified within 2 s before its hash was recorded is hashed again
MEMORY_LIMIT = 500_000  # entries kept in memory per process
REHASH_ENV = "PIPEC_REHASH"


class FileEntry(NamedTuple):
    """What is recorded per file: its stat when it was hashed, the hash, and when the hash was recorded."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    sha256: str
    recorded_ns: int

    def trusted_for(self, st: os.stat_result) -> bool:
        return (st.st_size == self.size and st.st_mtime_ns == self.mtime_ns and st.st_ctime_ns == self.ctime_ns
                and st.st_ino == self.inode and self.mtime_ns + RACY_NS < self.recorded_ns)


class FileHashReads:
    def file_hashes(self, paths: list[str]) -> dict[str, FileEntry]:
        """The recorded entries of these absolute paths (those that have one)."""
        found: dict[str, FileEntry] = {}
        for i in range(0, len(paths), SQL_CHUNK):
            part = paths[i:i + SQL_CHUNK]
            for r in self.conn.rows("SELECT path, size, mtime_ns, ctime_ns, inode, sha256, recorded_ns FROM "
                                    f"file_hashes WHERE path IN ({','.join('?' * len(part))})", part):
                found[r["path"]] = FileEntry(r["size"], r["mtime_ns"], r["ctime_ns"], r["inode"], r["sha256"],
                                             r["recorded_ns"])
        return found


class FileHashWrites:
    def put_file_hashes(self, entries: dict[str, FileEntry]) -> None:
        """Record entries (one transaction), replacing those of the same paths."""
        rows = [(path, *entry) for path, entry in entries.items()]
        if not rows:
            return

        def put(db: sqlite3.Connection) -> None:
            db.executemany("INSERT OR REPLACE INTO file_hashes (path, size, mtime_ns, ctime_ns, inode, sha256, "
                           "recorded_ns) VALUES (?,?,?,?,?,?,?)", rows)

        self.conn.write(put)


# --- the process-wide memory in front of a store ---------------------------------------------------------------
_memory: dict[str, FileEntry] = {}
_memory_lock = threading.Lock()


@register_process_cache
def clear_memory() -> None:
    with _memory_lock:
        _memory.clear()


def hash_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class FileHashCache:
    """SHA-256 of files by content, reused by stat (see the module doc). `hashed` counts the files it read."""

    def __init__(self, store: Any = None):
        self.store = store
        self.hashed = 0

    def content_hash(self, path: str | Path) -> str:
        """The SHA-256 hex of a file's bytes; OSError when it cannot be stat'ed or read."""
        st = os.stat(path)
        digest = self._hashes([(os.path.abspath(path), st)])[0]
        if digest is None:
            raise OSError(f"cannot read {path}")
        return digest

    def content_hashes(self, paths: Iterable[str | Path]) -> list[str | None]:
        """The SHA-256 hex of each file, in order; None for one that cannot be stat'ed or read."""
        stats: list[tuple[str, os.stat_result | None]] = []
        for path in paths:
            full = os.fspath(path)
            full = full if os.path.isabs(full) else os.path.abspath(full)
            try:
                stats.append((full, os.stat(full)))
            except OSError:
                stats.append((full, None))
        return self._hashes(stats)

    def _hashes(self, stats: list[tuple[str, os.stat_result | None]]) -> list[str | None]:
        known = self._known([p for p, st in stats if st is not None])
        out: list[str | None] = []
        fresh: dict[str, FileEntry] = {}
        for path, st in stats:
            entry = known.get(path)
            if st is not None and (entry is None or not entry.trusted_for(st)):
                entry = self._hash_now(path, st)
                if entry is not None:
                    fresh[path] = entry
            out.append(entry.sha256 if st is not None and entry is not None else None)
        self._record(fresh)
        return out

    def _known(self, paths: list[str]) -> dict[str, FileEntry]:
        if os.environ.get(REHASH_ENV, "").strip() not in ("", "0"):
            return {}
        with _memory_lock:
            known = {p: e for p in paths if (e := _memory.get(p)) is not None}
        missing = [p for p in paths if p not in known]
        # a parallel trial's worker without the driver's store has no `file_hashes`: it hashes the files
        lookup = getattr(self.store, "file_hashes", None) if self.store is not None else None
        if lookup is not None and missing:
            stored = lookup(missing)
            with _memory_lock:
                _memory.update(stored)
            known.update(stored)
        return known

    def _hash_now(self, path: str, st: os.stat_result) -> FileEntry | None:
        recorded = time.time_ns()  # before reading: a write during the read makes the entry racy or stale
        try:
            digest = hash_file(path)
        except OSError:
            return None
        self.hashed += 1
        return FileEntry(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, digest, recorded)

    def _record(self, fresh: dict[str, FileEntry]) -> None:
        if not fresh:
            return
        with _memory_lock:
            if len(_memory) + len(fresh) > MEMORY_LIMIT:
                _memory.clear()
            _memory.update(fresh)
        if self.store is not None:
            self.store.put_file_hashes(fresh)
