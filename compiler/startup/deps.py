"""What a command's outcome depended on: recorded while it runs the slow way, checked before it is replayed.

A dependency is a path with the stat it had when it was first used (size, mtime, ctime, inode; `None` for a path
that did not exist). Three sources fill a recording:
- an audit hook (`sys.addaudithook`) sees every file the process opens and every folder it lists (`open`,
  `os.scandir`, `os.listdir`: YAML files, prompt templates, what an op's fingerprint reads, `os.walk`);
- `note(path)` from the places that only stat a path: a parameter path's existence check and resolution
  (compiler/op.py, compiler/keys.py) and the files of a fingerprinted folder, whose hashes the file-hash cache
  reuses without opening them (compiler/fingerprint.py);
- the source files of every imported module outside the installed distributions (pipec itself in an editable
  install, a plugin being written), and the installed distributions themselves (`op_index.distributions_stamp`).

A stamp is taken before the path is read, so a change during the command shows as a changed stamp later. A
path changed less than `RACY_S` before the recording ended makes the recording unusable (git's "racy clean"
rule: a same-size rewrite within a file system's timestamp granularity can keep mtime and ctime).
"""

from __future__ import annotations

import os
import sys
import sysconfig
import time

RACY_S = 2.0
_IGNORED_PREFIXES = ("/proc/", "/dev/", "/sys/")
_MODULE_SUFFIXES = (".py", ".pyc", ".so", ".pyd", ".pth")

Stamp = tuple[int, int, int, int] | None  # (size, mtime_ns, ctime_ns, inode); None: the path did not exist


def stamp(path: str) -> Stamp:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


class Recording:
    """The paths one command used, each with its first stamp."""

    def __init__(self) -> None:
        self.paths: dict[str, Stamp] = {}
        self.ignored: tuple[str, ...] = _IGNORED_PREFIXES
        self.import_path = {os.path.abspath(entry or ".") for entry in sys.path}

    def ignore(self, folder: str | os.PathLike) -> None:
        """Leave out `folder` and what lies inside it (pipec's cache folder, the run store: files the command
        itself writes, and whose contents a replay checks in its own way)."""
        self.ignored += (os.path.join(os.path.abspath(os.fspath(folder)), ""),)

    def note(self, path: str | os.PathLike) -> None:
        try:
            full = os.path.abspath(os.fspath(path))
        except (TypeError, ValueError):
            return
        if full not in self.paths and not os.path.join(full, "").startswith(self.ignored):
            self.paths[full] = stamp(full)

    def add_modules(self) -> None:
        """The source of every imported module that no installed distribution's version stands for."""
        installed = _installed_roots()
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None)
            if path and not os.path.abspath(path).startswith(installed):
                self.note(path)

    def stable(self, now: float | None = None) -> bool:
        """Whether every stamp is old enough to be trusted (see RACY_S)."""
        limit = ((now or time.time()) - RACY_S) * 1e9
        return all(s is None or max(s[1], s[2]) < limit for s in self.paths.values())


def unchanged(paths: dict[str, list | None]) -> bool:
    """Whether every recorded path still has the stamp it had (stamps read back from JSON are lists)."""
    for path, old in paths.items():
        new = stamp(path)
        if (new is None) != (old is None) or (new is not None and list(new) != list(old)):
            return False
    return True


_active: Recording | None = None
_hook_installed = False


def recording() -> bool:
    """Whether a recording is active (lets a caller skip building what it would note)."""
    return _active is not None


def note(path: str | os.PathLike) -> None:
    """Record a path the command depends on without opening it (a no-op unless a recording is active)."""
    if _active is not None:
        _active.note(path)


def start() -> Recording:
    """Start recording this process's file dependencies (one recording at a time)."""
    global _active, _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit)  # audit hooks cannot be removed: installed once, idle while nothing records
        _hook_installed = True
    _active = Recording()
    return _active


def stop() -> Recording | None:
    global _active
    recording, _active = _active, None
    return recording


def _audit(event: str, args: tuple) -> None:
    recording = _active
    if recording is None:
        return
    if event == "open":
        path, mode, flags = (tuple(args) + (None, None))[:3]
        if isinstance(path, (str, bytes)) and not _is_module_file(path) and not _writes(mode, flags):
            recording.note(os.fsdecode(path))
    elif event in ("os.scandir", "os.listdir"):
        path = args[0] if args else "."
        if isinstance(path, (str, bytes, os.PathLike)):
            folder = os.path.abspath(os.fsdecode(path) or ".")
            if folder not in recording.import_path:  # what installs there is in the distributions stamp
                recording.note(folder)


def _writes(mode: str | None, flags: int | None) -> bool:
    """A file opened for writing is something the command makes, not something it depends on."""
    if mode:
        return any(c in mode for c in "wax+")
    return bool((flags or 0) & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))


def _is_module_file(path: str | bytes) -> bool:
    text = os.fsdecode(path)
    return text.endswith(_MODULE_SUFFIXES) or "__pycache__" in text


def _installed_roots() -> tuple[str, ...]:
    """Folders whose modules come from the interpreter or an installed distribution (their versions are in the
    distributions stamp), not from files someone edits in place."""
    roots = {sysconfig.get_paths()[name] for name in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots |= {sys.base_prefix, sys.prefix}
    return tuple(os.path.join(os.path.abspath(r), "") for r in roots if r)
