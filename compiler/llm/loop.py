"""One background event loop per process on which every gateway call runs.

Ops call the gateway from the executor's event loop (`async def run`), from worker threads (`def run` with
`complete_sync`), or from their own `asyncio.run`. Running all calls on one dedicated loop keeps the
concurrency limits, budgets and in-flight deduplication in one place without locks, whatever the caller.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None


def gateway_loop() -> asyncio.AbstractEventLoop:
    global _loop, _thread
    with _lock:
        if _loop is None or _loop.is_closed() or _thread is None or not _thread.is_alive():
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def serve() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            _thread = threading.Thread(target=serve, name="pipec-llm-gateway", daemon=True)
            _thread.start()
            ready.wait()
            _loop = loop
        return _loop


def on_gateway_loop() -> bool:
    return _thread is not None and threading.current_thread() is _thread


def submit(coro: Coroutine[Any, Any, Any]) -> concurrent.futures.Future:
    return asyncio.run_coroutine_threadsafe(coro, gateway_loop())


async def run_async(coro: Coroutine[Any, Any, Any]) -> Any:
    """Await a coroutine that runs on the gateway loop, from any other event loop."""
    if on_gateway_loop():
        return await coro
    return await asyncio.wrap_future(submit(coro))


def run_sync(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine on the gateway loop and wait for it (from a thread that is not the gateway loop)."""
    if on_gateway_loop():
        coro.close()
        raise RuntimeError("complete_sync() was called on the gateway's own loop; use 'await complete()'")
    return submit(coro).result()
