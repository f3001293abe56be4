"""Shared fixtures. Data-dependent tests use `shared_data` and skip with a message when it is absent."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# pipec's own caches (the op index, the plan cache of the start-up fast path) go to a folder of this test session
# (and of the `pipe` processes the tests start), not to the user's ~/.cache/pipec.
if "PIPEC_CACHE_DIR" not in os.environ:
    os.environ["PIPEC_CACHE_DIR"] = tempfile.mkdtemp(prefix="pipec-test-cache-")
    atexit.register(shutil.rmtree, os.environ["PIPEC_CACHE_DIR"], ignore_errors=True)
SHARED_DATA = Path(os.environ.get("PIPEC_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"benchmark data not found at {SHARED_DATA} (set PIPEC_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture
def store(tmp_path):
    from pipec.compiler.store import Store

    s = Store(tmp_path / ".pipe")
    yield s
    s.close()


@pytest.fixture
def repo() -> Path:
    return REPO
