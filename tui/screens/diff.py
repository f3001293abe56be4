"""Two trials side by side: their outcome, config and metrics; differing rows first and highlighted."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer

from ..data.study import Trial, diff


class DiffScreen(ModalScreen):
    BINDINGS = [Binding("escape,q", "dismiss", "Close")]

    def __init__(self, a: Trial, b: Trial):
        super().__init__()
        self.a, self.b = a, b

    def compose(self) -> ComposeResult:
        with Vertical(id="diff-box") as box:
            box.border_title = f"trial {self.a.number} vs trial {self.b.number}"
            yield DataTable(id="diff-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("", "section", "key", f"trial {self.a.number}", f"trial {self.b.number}")
        rows = diff(self.a, self.b)
        rows.sort(key=lambda r: not r[4])  # stable: differences first, each section in order
        for section, key, left, right, differs in rows:
            style = "bold yellow" if differs else ""
            table.add_row("≠" if differs else "", section, Text(key, style=style), Text(left, style=style),
                          Text(right, style=style))
        table.focus()

    def action_dismiss(self) -> None:
        self.dismiss()
