"""The home screen: the store's runs and studies, sortable and filterable, refreshed live."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Input, TabbedContent, TabPane

from ..data.overview import RUN_COLUMNS, STUDY_COLUMNS, run_row, study_row
from ..widgets.list_table import ListTable
from ..widgets.message_panel import MessagePanel
from .base import DataScreen


class HomeScreen(DataScreen):
    BINDINGS = [
        Binding("slash", "filter", "Filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("1", "tab('runs')", "Runs"),
        Binding("2", "tab('studies')", "Studies"),
    ]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield MessagePanel("opening the store…", id="home-message")
        yield Input(placeholder="filter: words that must all appear (esc clears)", id="filter")
        with TabbedContent(id="home-tabs", initial="runs"):
            with TabPane("Runs", id="runs"):
                yield ListTable(RUN_COLUMNS, "started", "runs", id="runs-table")
            with TabPane("Studies", id="studies"):
                yield ListTable(STUDY_COLUMNS, "created", "studies", id="studies-table")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter").display = False
        self.query_one("#runs-table").focus()
        super().on_mount()

    # --- data -----------------------------------------------------------------------------------------------
    def read(self, reader) -> dict[str, Any]:
        return {"runs": [run_row(r) for r in reader.runs()], "studies": [study_row(s) for s in reader.studies()]}

    def show(self, what: str, data: dict[str, Any]) -> None:
        self.query_one("#runs-table", ListTable).set_rows(data["runs"])
        self.query_one("#studies-table", ListTable).set_rows(data["studies"])
        self.query_one("#home-tabs", TabbedContent).get_tab("studies").label = f"Studies ({len(data['studies'])})"
        self.query_one("#home-tabs", TabbedContent).get_tab("runs").label = f"Runs ({len(data['runs'])})"
        self.app.call_after_refresh(self.app.freeze_heap)  # once: after the first list is painted
        if not data["runs"] and not data["studies"]:
            self.say(f"No runs yet in {self.app.store_path}.\nRun `pipe run GRAPH.yaml --store "
                     f"{self.app.store_path}`: runs appear here as they start.")
        else:
            self.say("")

    def say(self, text: str, problem: bool = False) -> None:
        self.query_one("#home-message", MessagePanel).say(text, problem)

    # --- actions --------------------------------------------------------------------------------------------
    def active_table(self) -> ListTable:
        tab = self.query_one("#home-tabs", TabbedContent).active
        return self.query_one("#studies-table" if tab == "studies" else "#runs-table", ListTable)

    def action_tab(self, tab: str) -> None:
        self.query_one("#home-tabs", TabbedContent).active = tab
        self.active_table().focus()

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.value = self.active_table().filter_text
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.display = False
        for table in self.query(ListTable):
            table.set_filter("")
        self.active_table().focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.active_table().set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.active_table().focus()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if self.query_one("#filter", Input).display:
            self.query_one("#filter", Input).value = self.active_table().filter_text

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        table = event.data_table
        key = event.row_key.value
        if table.id == "runs-table":
            self.app.open_run(key)
        elif table.id == "studies-table":
            self.app.open_study(key)
