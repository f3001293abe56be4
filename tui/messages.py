"""Messages that store-reading workers post to the UI thread (the UI never reads the store itself)."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class StoreChanged(Message):
    """Another process committed to the store (runs, nodes, calls or trials changed): reload what is shown."""


class StoreProblem(Message):
    """A read failed (locked store, vanished file): show the message, keep the UI alive."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text


class Loaded(Message):
    """A screen's data, read by a worker. `what` names the query, `data` is plain Python."""

    def __init__(self, what: str, data: Any):
        super().__init__()
        self.what = what
        self.data = data
