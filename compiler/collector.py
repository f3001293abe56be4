"""The cyclic garbage collector paused around phases that allocate many objects and make no garbage cycles."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Reference counting still frees everything acyclic; the collector resumes (and runs as usual) at the end.
    Leaves it disabled when it was disabled on entry."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
