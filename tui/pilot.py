"""Driving the app headless with Textual's Pilot (the tests and bench/tui): wait until it is idle."""

from __future__ import annotations

import asyncio
import itertools


async def settle(pilot, rounds: int | None = 60) -> None:
    """Wait until no worker is running and every posted message has been handled (at most `rounds` rounds of
    waiting; None: no limit)."""
    app = pilot.app
    for _ in range(rounds) if rounds is not None else itertools.count():
        await pilot.pause()
        busy = [w for w in app.workers if not w.is_finished]
        if not busy:
            await pilot.pause()
            if not [w for w in app.workers if not w.is_finished]:
                return
            continue
        await asyncio.gather(*(w.wait() for w in busy), return_exceptions=True)
