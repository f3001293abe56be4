"""The help screen: what each screen shows and the keys of the screen it was opened from."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

GUIDE = "\n\n".join([
    "Home: the runs and studies of the store, newest first; they refresh live while `pipe run` or "
    "`pipe tune` write to it. enter opens a run or a study; / filters (every word must match); s cycles the "
    "sort column, S reverses it (or click a column header).",
    "Run: the DAG as a tree, each node under its first input (other inputs after ←): ✔ succeeded, "
    "◆ cached, ▶ running, ✘ failed. Beside it: the selected node (params, inputs, output, metrics, error), "
    "its per-example rows (2) and its LLM calls (3; a: all the run's calls). In a table, enter opens a row; "
    "moving past the last row loads the next page; ] and [ jump a page; / searches.",
    "Study: the trials (★ best, ▸ marked), the best-so-far plot (2) and the objective against each "
    "parameter (3; v: next parameter). m marks a trial; d diffs the marked trial (or the best) with the "
    "selected one; enter opens the trial's run.",
    "esc goes back; q quits; r re-reads the store now.",
])


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, keys: list[tuple[str, str]]):
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan")
        table.add_column()
        for key, description in self.keys:
            table.add_row(key, description)
        with Vertical(id="help-box") as box:
            box.border_title = "pipe tui · help"
            with VerticalScroll(id="help-scroll"):
                yield Static(Text("Keys here", style="bold"))
                yield Static(table)
                yield Static(Text("\n" + GUIDE))
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_dismiss(self) -> None:
        self.dismiss()
