"""`pipe tui`: open the terminal UI on a run store. Textual is imported only when the command runs."""

from __future__ import annotations

import argparse

from pipec.compiler.commands.common import add_store_option


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_option(parser)
    parser.add_argument("--poll", type=float, default=1.0, metavar="S",
                        help="seconds between checks for changes by other processes (default 1; 0 = never)")


def run(args: argparse.Namespace) -> int:
    from .data.reader import StoreLocked, StoreReader

    try:  # a missing or old-schema store: a clear message, before the screen opens
        StoreReader(args.store).close()
    except StoreLocked:
        pass  # a writer holds it for now: the screen opens, says so, and retries on each refresh
    from .app import PipeTui

    PipeTui(args.store, poll_s=args.poll or None).run()
    return 0
