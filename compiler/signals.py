"""Ctrl-C and SIGTERM for `pipe run` and `pipe tune`: stop within a second, keep what finished, exit 130/143.

    signals.install()              # once, by a command that runs graphs (before anything runs)
    signals.running(task)          # the executor registers its main task while a run is in progress
    signals.exit_code()            # 130 after SIGINT, 143 after SIGTERM

The first SIGINT or SIGTERM cancels the registered run (its running nodes are marked `interrupted`, finished
ones stay memoized, the run's status becomes `interrupted`), or raises KeyboardInterrupt in the main thread
when no run is in progress (a study between trials). A second one exits at once. A watchdog exits shortly
after the first signal should an op ignore cancellation (a worker thread that never returns).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
WATCHDOG_S = 3.0  # after the first signal, exit even if an op in a worker thread does not stop

_received: list[int] = []
_runs: list[tuple[asyncio.AbstractEventLoop, asyncio.Task]] = []
_lock = threading.Lock()
_installed = False


def install() -> None:
    """Handle SIGINT and SIGTERM as described above (main thread only; a no-op elsewhere or if installed)."""
    global _installed
    if _installed or threading.current_thread() is not threading.main_thread():
        return
    signal.signal(signal.SIGINT, _handle)
    signal.signal(signal.SIGTERM, _handle)
    _installed = True


def installed() -> bool:
    return _installed


def received() -> int | None:
    """The first signal received (SIGINT or SIGTERM), or None."""
    return _received[0] if _received else None


def exit_code() -> int:
    return EXIT_CODES.get(received(), 130)


class running:  # noqa: N801 - used as a context manager, reads as a phrase
    """`with signals.running(asyncio.current_task()):` while a run's main task is in progress."""

    def __init__(self, task: asyncio.Task | None):
        self.entry = (asyncio.get_running_loop(), task) if task is not None else None

    def __enter__(self) -> running:
        if self.entry is not None:
            with _lock:
                _runs.append(self.entry)
        if _received and self.entry is not None:  # a signal came while the run was starting
            self.entry[0].call_soon(self.entry[1].cancel)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.entry is not None:
            with _lock:
                if self.entry in _runs:
                    _runs.remove(self.entry)


def _handle(signum: int, frame: object) -> None:
    if _received:
        try:
            sys.stderr.write("interrupted again: exiting now\n")
            sys.stderr.flush()
        finally:
            os._exit(EXIT_CODES.get(_received[0], 130))
    _received.append(signum)
    threading.Thread(target=_watchdog, name="pipec-signal-watchdog", daemon=True).start()
    with _lock:
        runs = list(_runs)
    if not runs:
        raise KeyboardInterrupt
    for loop, task in runs:
        loop.call_soon_threadsafe(task.cancel)


def _watchdog() -> None:
    threading.Event().wait(WATCHDOG_S)
    try:
        sys.stderr.write("interrupted: an op did not stop in time; exiting (finished work is stored)\n")
        sys.stderr.flush()
    finally:
        os._exit(exit_code())
