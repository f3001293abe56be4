"""`pipe tui`: open the terminal UI on a run store. Textual is imported only when the command runs."""

from __future__ import annotations

import argparse

from pipec.compiler.commands.common import add_store_option
from pipec.compiler.commands.ranges import float_range


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_option(parser)
    parser.add_argument("--poll", type=float_range(0, 3600), default=1.0, metavar="S",
                        help="seconds between checks for changes by other processes (default 1; 0 = never)")


def run(args: argparse.Namespace) -> int:
    from .data.reader import StoreLocked, StoreReader

    try:  # a missing or old-schema store: a clear message, before the screen opens
        StoreReader(args.store).close()
    except StoreLocked:
        pass  # a writer holds it for now: the screen opens, says so, and retries on each refresh
    if not has_terminal():
        from pipec.compiler.errors import UsageError

        raise UsageError("pipe tui needs a terminal (stdin and stdout must be one); in scripts use 'pipe runs' "
                         "or 'pipe show'")
    from .app import PipeTui

    PipeTui(args.store, poll_s=args.poll or None).run()
    return 0


def has_terminal() -> bool:
    """Textual waits forever for terminal input that never comes when stdin or stdout is a pipe or a file."""
    import sys

    return all(stream is not None and stream.isatty() for stream in (sys.stdin, sys.stdout))
