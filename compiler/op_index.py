"""The op index: which ops (and other plugins) the installed distributions register, without scanning every
distribution on each start of `pipe`.

Listing entry points reads the metadata of every installed distribution (hundreds of files). The index keeps the
entry points of the groups pipec asks about (`GROUPS`: ops, strategies, and pydantic's plugin group) in one small
JSON file, valid while nothing it was built from changed: the distributions' metadata folders on `sys.path`
(installing, upgrading or removing a distribution adds, renames or removes a `*.dist-info` folder, whose name
carries the version) and the `entry_points.txt` of each distribution that registers any of them (an editable
install rewrites it in place).
Third-party plugins and pipec's own ops are indexed the same way: both are entry points.

PIPEC_CACHE_DIR (default: $XDG_CACHE_HOME/pipec or ~/.cache/pipec) holds the files, one per `sys.path`;
PIPEC_NO_OP_INDEX=1 turns the cache off. An unreadable or unwritable cache is never an error.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any, NamedTuple

FORMAT = 5
GROUPS = ("pipec.ops", "pipec.strategies", "pydantic")

_memo: dict | None = None  # this process's index, once read


class IndexedEntryPoint(NamedTuple):
    """An entry point as the index keeps it; `load()` imports it like importlib.metadata.EntryPoint.load, without
    importing importlib.metadata (which costs a start-up more than reading the index)."""

    name: str
    value: str  # "module:attr.path"
    group: str
    dist: str
    version: str

    def load(self) -> Any:
        module, _, attrs = self.value.partition(":")
        obj = importlib.import_module(module.strip())
        for attr in filter(None, attrs.strip().split(".")):
            obj = getattr(obj, attr)
        return obj


def cache_file() -> Path:
    """One file per `sys.path` (the `pipe` script, `python -m`, and pytest each see a different one)."""
    root = os.environ.get("PIPEC_CACHE_DIR") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pipec"
    layout = hashlib.sha256("\0".join([sys.version, *sys.path]).encode()).hexdigest()[:16]
    return Path(root) / f"entry-points-{layout}.json"


def _mtime(path: str | Path) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def distributions_stamp() -> list[list]:
    """What on `sys.path` decides which distributions exist: per folder, its distributions' metadata folders
    (a `*.dist-info` name carries the version; a `*.egg-info` one does not, so its mtime counts too). Names, not
    the folder's mtime: the current folder ('' on sys.path) changes whenever a file is written there."""
    out = []
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as it:
                found = sorted(e.name if e.name.endswith(".dist-info") else f"{e.name}@{_mtime(e.path)}"
                               for e in it if e.name.endswith((".dist-info", ".egg-info")))
        except OSError:  # a zip file or a missing folder
            found = [_mtime(entry or ".")]
        out.append([entry, found])
    return out


def scan(groups: tuple[str, ...] = GROUPS) -> dict:
    """Read every distribution's entry points (the slow way) into an index."""
    from importlib.metadata import distributions

    points, files, seen = [], {}, set()
    for dist in distributions():
        # The folder name gives the normalized name without parsing METADATA (as entry_points() does).
        key = getattr(dist, "_normalized_name", None) or (dist.metadata["Name"] or "?").lower().replace("-", "_")
        if key in seen:  # the first on sys.path wins, as importlib.metadata.entry_points() does
            continue
        seen.add(key)
        found = [ep for ep in dist.entry_points if ep.group in groups]
        if not found:
            continue
        name = dist.metadata["Name"] or key
        where = getattr(dist, "_path", None)
        if where is not None:
            ep_file = os.path.abspath(Path(where) / "entry_points.txt")
            files[ep_file] = _mtime(ep_file)
        points += [[ep.group, ep.name, ep.value, name, dist.version] for ep in found]
    return {"format": FORMAT, "groups": list(groups), "python": sys.version, "sys_path": distributions_stamp(),
            "files": files, "entry_points": points}


def _valid(index: dict) -> bool:
    return (index.get("format") == FORMAT and index.get("groups") == list(GROUPS)
            and index.get("python") == sys.version and index.get("sys_path") == distributions_stamp()
            and all(_mtime(f) == m for f, m in index.get("files", {}).items()))


def _index() -> dict:
    global _memo
    if _memo is not None and _valid(_memo):
        return _memo
    index = None
    path = cache_file()
    use_cache = not os.environ.get("PIPEC_NO_OP_INDEX")
    if use_cache:
        try:
            index = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            index = None
    if not isinstance(index, dict) or not _valid(index):
        index = scan()
        if use_cache:
            write_json(path, index)
    _memo = index
    return index


def indexed_files() -> list[str]:
    """The `entry_points.txt` files the index was built from (a change to one makes the index stale)."""
    return list(_index().get("files", {}))


def load(group: str) -> list[IndexedEntryPoint]:
    """The group's entry points (name, value, group, distribution, version), from the index when it is current."""
    if group not in GROUPS:
        raise ValueError(f"entry-point group {group!r} is not indexed (indexed: {', '.join(GROUPS)})")
    return [IndexedEntryPoint(name, value, g, dist, version)
            for g, name, value, dist, version in _index()["entry_points"] if g == group]


def skip_pydantic_plugin_scan() -> None:
    """Pydantic looks for its plugins by reading every distribution's entry points when the first model is
    built. When the index shows that no distribution registers one, say so through pydantic's own switch
    (PYDANTIC_DISABLE_PLUGINS): the same result, without the scan. Never overrides a value the user set."""
    if "PYDANTIC_DISABLE_PLUGINS" not in os.environ and not load("pydantic"):
        os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"


def write_json(path: Path, value: Any) -> bool:
    """Write a cache file atomically (a concurrent reader sees the old file or the new one); False when it
    cannot be written, which is never an error for a cache. Values JSON cannot hold are written as text."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(value, ensure_ascii=False, default=str), encoding="utf-8")
        os.replace(tmp, path)
    except (OSError, TypeError, ValueError):
        return False
    return True
