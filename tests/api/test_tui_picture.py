"""The TUI's run screen draws the run's graph (`g`): layers, the static/per-request split, status and time."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def served(tmp_path):
    import pipec

    store = tmp_path / ".pipe"
    session = pipec.load(REPO / "examples" / "rag" / "serve.yaml", set={"embedder": "hashing"}).session(store)
    reply = session.run({"question": "Which library provides BM25?"})
    session.close()
    return store, reply


async def test_g_on_a_served_request_shows_the_split(served):
    from pipec.tui.app import PipeTui
    from pipec.tui.pilot import settle
    from pipec.tui.screens.detail import DetailScreen
    from pipec.tui.screens.run import RunScreen

    store, reply = served
    app = PipeTui(str(store), poll_s=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.push_screen(RunScreen(reply.run_id))
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        body = str(app.screen.body)
        static, request = body.split("per request:")
        assert "index [index.build]" in static and "(cached" in static
        assert "retrieve [retrieve] <- index, inputs  (succeeded" in request
        assert f"--run {reply.run_id}" in body
