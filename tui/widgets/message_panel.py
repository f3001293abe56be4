"""A centered notice in place of a table: an empty store, a locked store, a study without trials."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class MessagePanel(Static):
    def say(self, text: str, problem: bool = False) -> None:
        self.set_class(problem, "problem")
        self.update(Text(text))  # store paths and error texts are shown as they are, never as markup
        self.display = bool(text)
