"""Process-wide in-memory caches (embedding vectors, hashed rows, token lists) register here, so benchmarks and
tests can start a run as cold as a new process with one public call instead of reaching into modules."""

from __future__ import annotations

import threading
from collections.abc import Callable

_clearers: list[Callable[[], object]] = []
_lock = threading.Lock()


def register_process_cache(clear: Callable[[], object]) -> Callable[[], object]:
    """Register the function that empties one process-wide cache (e.g. an lru_cache's `cache_clear`)."""
    with _lock:
        if clear not in _clearers:
            _clearers.append(clear)
    return clear


def clear_process_caches() -> int:
    """Empty every registered process-wide cache; returns how many were cleared."""
    with _lock:
        clearers = list(_clearers)
    for clear in clearers:
        clear()
    return len(clearers)
