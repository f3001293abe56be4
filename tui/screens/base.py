"""What every data screen shares: reload its data in a worker when shown and when the store changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from ..messages import Loaded, StoreChanged
from ..workers import read_in_worker


class DataScreen(Screen):
    """Subclasses implement `read(reader) -> data` (runs in a thread) and `show(what, data)` (UI thread)."""

    def on_mount(self) -> None:
        self.reload()

    def on_screen_resume(self) -> None:
        if getattr(self, "_shown_once", False):
            self.reload()
        self._shown_once = True

    def on_store_changed(self, message: StoreChanged) -> None:
        message.stop()  # the app forwards it here; it must not bubble back up to the app
        self.reload()

    def reload(self) -> None:
        self.read_async("screen", self.read)

    def read_async(self, what: str, read: Callable[[Any], Any]) -> None:
        reader = getattr(self.app, "reader", None)
        if reader is None:
            return
        read_in_worker(self, what, lambda: read(reader), group=f"{what}-{id(self)}")

    def on_loaded(self, message: Loaded) -> None:
        message.stop()
        self.show(message.what, message.data)

    def read(self, reader) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def show(self, what: str, data: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
