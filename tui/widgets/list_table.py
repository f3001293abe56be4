"""A sortable, filterable table of in-memory rows (the runs and the studies of the home screen).

Rows come from a worker as `data.overview.Row`s. An update that only changes some rows updates those cells in
place (a live run ticking does not rebuild 1,000 rows nor move the cursor); a changed set of rows rebuilds
the table and keeps the cursor on the same row key.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import DataTable

from ..data.overview import Row
from .cache_cycles import FreeCacheCycles
from .cells import literal


class ListTable(FreeCacheCycles, DataTable):
    BINDINGS = [
        Binding("s", "cycle_sort", "Sort"),
        Binding("S", "reverse_sort", "Reverse", show=False),
    ]

    def __init__(self, columns: list[str], sort_by: str, noun: str, **kwargs):
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.column_names = columns
        self.sort_by = sort_by
        self.descending = True
        self.noun = noun
        self.filter_text = ""
        self.all_rows: dict[str, Row] = {}
        self._shown: list[str] = []

    def on_mount(self) -> None:
        for name in self.column_names:
            self.add_column(name, key=name)
        self._update_title()

    # --- data -----------------------------------------------------------------------------------------------
    def set_rows(self, rows: list[Row]) -> None:
        new = {r.key: r for r in rows}
        if new.keys() == self.all_rows.keys():
            changed = [r for r in rows if self.all_rows[r.key].cells != r.cells]
            self.all_rows = new
            shown = set(self._shown)
            for row in changed:
                if row.key in shown:
                    for name, value in zip(self.column_names, row.cells, strict=True):
                        self.update_cell(row.key, name, literal([value])[0])
            if changed:
                self._rebuild()  # a changed sort key may move a row
            return
        self.all_rows = new
        self._rebuild()

    def set_filter(self, text: str) -> None:
        self.filter_text = text.strip().lower()
        self._rebuild()

    def visible_keys(self) -> list[str]:
        return list(self._shown)

    def current_key(self) -> str | None:
        if 0 <= self.cursor_row < len(self._shown):
            return self._shown[self.cursor_row]
        return None

    def _ordered(self) -> list[Row]:
        words = self.filter_text.split()
        rows = [r for r in self.all_rows.values() if all(w in r.text for w in words)]

        def key(r: Row):
            value = r.keys.get(self.sort_by)
            return (value is None, value if value is not None else 0)

        rows.sort(key=key, reverse=self.descending)
        return rows

    def _rebuild(self) -> None:
        rows = self._ordered()
        keys = [r.key for r in rows]
        if keys == self._shown and self.row_count == len(keys):
            self._update_title()
            return
        current = self.current_key()
        self.clear()
        for row in rows:
            self.add_row(*literal(row.cells), key=row.key)
        self._shown = keys
        if current in keys:
            self.move_cursor(row=keys.index(current), scroll=False)
        self._update_title()

    def _update_title(self) -> None:
        arrow = "↓" if self.descending else "↑"
        shown = len(self._shown)
        count = f"{shown:,}" if shown == len(self.all_rows) else f"{shown:,} of {len(self.all_rows):,}"
        where = f" · filter '{self.filter_text}'" if self.filter_text else ""
        self.border_title = f"{self.noun} ({count}) · sort: {self.sort_by} {arrow}{where}"

    # --- sorting --------------------------------------------------------------------------------------------
    def sort_on(self, column: str, descending: bool | None = None) -> None:
        if descending is None:
            descending = not self.descending if column == self.sort_by else True
        self.sort_by, self.descending = column, descending
        self._shown = []
        self._rebuild()

    def action_cycle_sort(self) -> None:
        i = self.column_names.index(self.sort_by) if self.sort_by in self.column_names else -1
        self.sort_on(self.column_names[(i + 1) % len(self.column_names)], True)

    def action_reverse_sort(self) -> None:
        self.sort_on(self.sort_by, not self.descending)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_on(str(event.column_key.value))
