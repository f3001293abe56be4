"""Fixtures of the TUI tests: a store filled by real runs (built once per test process), helpers to drive
the app with Pilot until its store-reading workers are done."""

from __future__ import annotations

import os
import shutil
import time

import pytest
from pipec.tui.pilot import settle

from .storefill import REPO, fill  # noqa: F401 - REPO is used by the tests

os.environ["TZ"] = "UTC"  # start times render the same everywhere
time.tzset()


@pytest.fixture(scope="session")
def filled_store(tmp_path_factory):
    """A store with real runs of the examples (quickstart, a failing graph, LLM extract, RAG) and a study."""
    return fill(tmp_path_factory.mktemp("tui") / ".pipe")


@pytest.fixture
def store_copy(filled_store, tmp_path):
    """A private copy of the filled store, for tests that write to it."""
    target = tmp_path / ".pipe"
    shutil.copytree(filled_store, target)
    return target


async def press(pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def wait_for(pilot, condition, timeout: float = 10.0) -> None:
    """Poll `condition()` while the app runs (live refresh tests)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.05)
        await settle(pilot)


@pytest.fixture
def anyio_backend():
    """Async tests run on asyncio through anyio's pytest plugin (anyio comes with httpx, a litellm dependency)."""
    return "asyncio"
