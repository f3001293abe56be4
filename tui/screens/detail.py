"""A modal that shows one long record (an example row, an LLM call) as scrollable text."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static


class DetailScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,enter", "dismiss", "Close")]

    def __init__(self, title: str, body: str | Text):
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical(id="detail-box") as box:
            box.border_title = self.title_text
            with VerticalScroll(id="detail-scroll"):
                yield Static(self.body if isinstance(self.body, Text) else Text(self.body), id="detail-body")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#detail-scroll").focus()

    def action_dismiss(self) -> None:
        self.dismiss()
