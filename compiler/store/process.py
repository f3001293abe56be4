"""Whether a process id is alive: how the store tells a run or trial left 'running' by a killed process."""

from __future__ import annotations

import os


def process_alive(pid: int) -> bool:
    """True while process `pid` exists (also when it belongs to another user)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True
