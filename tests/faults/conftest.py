"""Fixtures of the fault tests: the misbehaving OpenAI-compatible server on loopback, and graphs that call it
through the real litellm path (`openai/gpt-4o-mini` with `api_base`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fault_graphs import KEY_ENV, MARKER_KEY  # noqa: E402
from fault_server import FaultServer  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("filterwarnings", "ignore:.*using the `ReadOnly` qualifier:UserWarning")


@pytest.fixture(scope="session")
def warm_litellm():
    """litellm's first request in a process takes ~2 s (imports, client set-up): longer than the tests'
    1 s timeout, so one request is sent before the tests count attempts."""
    from pipec.compiler.llm.backend import get_litellm

    with FaultServer() as s:
        get_litellm().completion(model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "warm up"}],
                                 api_base=s.url, api_key="sk-warm-up", max_retries=0, timeout=30)


@pytest.fixture
def server(warm_litellm):
    with FaultServer(hang_s=3.0) as s:
        yield s


@pytest.fixture
def marker_key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, MARKER_KEY)
    return MARKER_KEY
