"""Replay a command from its plan when it is valid, else run it the slow way and record what it read."""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Callable, Iterator

from . import deps, plans

COMMANDS = ("validate", "run")


def run_command(command: str, argv: list[str], args: argparse.Namespace, slow: Callable[[], int]) -> int:
    """Run `command`: replayed from its plan when one is valid, else `slow()` while recording what it reads."""
    if command not in COMMANDS or not plans.enabled():
        return slow()
    key = plans.command_key(argv)
    entry = plans.read(key)
    if entry is not None and entry.get("kind") == command and isinstance(entry.get("payload"), dict):
        code = _replay(command, args, entry["payload"])
        if code is not None:
            return code
    args.plan_key = key  # the command saves its plan through save_run (pipe run) or here (pipe validate)
    recording = deps.start()
    # pipec's own caches are not inputs (the op index is checked through the distributions stamp and the
    # entry-point files; it may be written by this very command), nor is the run store (looked up on replay)
    recording.ignore(plans.folder().parent)
    if getattr(args, "store", None):
        recording.ignore(args.store)
    try:
        if command != "validate":
            return slow()
        with _captured() as (out, err):
            code = slow()
        if code == 0:
            _save(key, "validate", {"stdout": out.getvalue(), "stderr": err.getvalue()})
        return code
    finally:
        deps.stop()


def save_run(args: argparse.Namespace, graph, result) -> None:
    """After `pipe run` ran the slow way: keep its plan when a later identical command can replay it."""
    from .replay import run_payload

    key = getattr(args, "plan_key", None)
    if key is None or args.force or args.no_cache or args.inputs:
        return
    payload = run_payload(graph, result)
    if payload is None:
        plans.forget(key)
    else:
        _save(key, "run", payload)


def _save(key: str, kind: str, payload: dict) -> None:
    from ..op_index import indexed_files

    recording = deps.stop()
    if recording is None:
        return
    recording.add_modules()
    for path in indexed_files():
        recording.note(path)
    if recording.stable():
        plans.write(key, kind, payload, recording.paths)
    else:
        plans.forget(key)


def _replay(command: str, args: argparse.Namespace, payload: dict) -> int | None:
    if command == "validate":
        out, err = payload.get("stdout"), payload.get("stderr")
        if not isinstance(out, str) or not isinstance(err, str):
            return None
        sys.stdout.write(out)
        sys.stderr.write(err)
        return 0
    from .replay import replay_run

    return replay_run(args, payload)


class _Tee(io.TextIOBase):
    """Writes go to the real stream and into a buffer."""

    def __init__(self, stream, buffer: io.StringIO):
        self.stream, self.buffer = stream, buffer

    def write(self, text: str) -> int:
        self.buffer.write(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()


@contextlib.contextmanager
def _captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    out, err = io.StringIO(), io.StringIO()
    real_out, real_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Tee(real_out, out), _Tee(real_err, err)
    try:
        yield out, err
    finally:
        sys.stdout, sys.stderr = real_out, real_err
