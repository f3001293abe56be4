"""Shared fixtures. Data-dependent tests use `shared_data` and skip with a message when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
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
