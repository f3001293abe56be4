"""The op index: which op names the installed distributions register, without scanning every distribution.

Listing the `pipec.ops` entry points reads the metadata of every installed distribution (hundreds of files) on
each start of `pipe`. The index keeps the result in a small JSON file, valid while nothing it was built from
changed: the folders on `sys.path` (installing, upgrading or removing a distribution adds or renames a
`*.dist-info` folder there, which changes the folder's mtime) and the `entry_points.txt` of each distribution
that registers ops (an editable install rewrites it in place). Third-party plugins and pipec's own ops are
indexed the same way: both are entry points. PIPEC_CACHE_DIR (default: $XDG_CACHE_HOME/pipec or ~/.cache/pipec)
holds the file; PIPEC_NO_OP_INDEX=1 turns the cache off. An unreadable or unwritable cache is never an error.
"""

from __future__ import annotations

import json
import os
import sys
from importlib.metadata import EntryPoint, distributions
from pathlib import Path

FORMAT = 2


def cache_file(group: str) -> Path:
    root = os.environ.get("PIPEC_CACHE_DIR") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pipec"
    return Path(root) / f"entry-points-{group}.json"


def _mtime(path: str | Path) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _path_stamp() -> list[list]:
    return [[p, _mtime(p or ".")] for p in sys.path]


def scan(group: str) -> dict:
    """Read every distribution's entry points (the slow way) into an index."""
    points, files, seen = [], {}, set()
    for dist in distributions():
        name = dist.metadata["Name"] or "?"
        key = name.lower().replace("-", "_").replace(".", "_")
        if key in seen:  # the first on sys.path wins, as importlib.metadata.entry_points() does
            continue
        seen.add(key)
        found = [ep for ep in dist.entry_points if ep.group == group]
        if not found:
            continue
        where = getattr(dist, "_path", None)
        ep_file = str(Path(where) / "entry_points.txt") if where is not None else None
        if ep_file:
            files[os.path.abspath(ep_file)] = _mtime(ep_file)
        points += [[ep.name, ep.value, name, dist.version] for ep in found]
    return {"format": FORMAT, "python": sys.version, "sys_path": _path_stamp(), "files": files,
            "entry_points": points}


def _valid(index: dict) -> bool:
    return (index.get("format") == FORMAT and index.get("python") == sys.version
            and index.get("sys_path") == _path_stamp()
            and all(_mtime(f) == m for f, m in index.get("files", {}).items()))


def load(group: str) -> list[tuple[EntryPoint, str, str]]:
    """The group's entry points as (entry point, distribution, version), from the index when it is current."""
    index = None
    path = cache_file(group)
    use_cache = not os.environ.get("PIPEC_NO_OP_INDEX")
    if use_cache:
        try:
            index = json.loads(path.read_text())
        except (OSError, ValueError):
            index = None
    if not isinstance(index, dict) or not _valid(index):
        index = scan(group)
        if use_cache:
            _write(path, index)
    return [(EntryPoint(name, value, group), dist, version) for name, value, dist, version in index["entry_points"]]


def _write(path: Path, index: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(index))
        os.replace(tmp, path)
    except OSError:
        pass
