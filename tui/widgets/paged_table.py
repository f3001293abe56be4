"""A DataTable that shows a large store table one page at a time (virtual rows beyond the page).

The owner calls `configure(fetch, render)`: `fetch(offset, limit, search) -> Page` runs in a worker thread,
`render(row, columns) -> cells` and `columns(rows)` decide what is shown (in the worker too). Moving the
cursor (down, page down) past the last row loads the next page (and before the first, the previous one), so
scrolling feels continuous; `]` and `[` jump a page. The border subtitle says which rows of how many are
shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.binding import Binding
from textual.widgets import DataTable

from ..data.reader import Page
from ..messages import Loaded
from ..workers import read_in_worker
from .cache_cycles import FreeCacheCycles
from .cells import literal

Fetch = Callable[[int, int, str], Page]
Render = Callable[[dict, list[str]], list]  # (row, shown columns) -> cells


class PagedTable(FreeCacheCycles, DataTable):
    BINDINGS = [
        Binding("right_square_bracket", "next_page", "Next page"),
        Binding("left_square_bracket", "prev_page", "Prev page"),
    ]
    PAGE_SIZE = 100

    def __init__(self, *, page_size: int | None = None, empty_text: str = "no rows", **kwargs: Any):
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.page_size = page_size or self.PAGE_SIZE
        self.empty_text = empty_text
        self.rows_data: list[dict[str, Any]] = []
        self.page_total = 0
        self.page_offset = 0
        self.search = ""
        self._fetch: Fetch | None = None
        self._render: Render = lambda row, columns: [str(row.get(c, '')) for c in columns]
        self._columns: Callable[[list[dict]], list[str]] = lambda rows: list(rows[0]) if rows else []
        self._shown_columns: list[str] = []
        self._cursor_after_load = 0
        self._serial = 0

    def configure(self, fetch: Fetch | None, render: Render | None = None,
                  columns: Callable[[list[dict]], list[str]] | None = None) -> None:
        self._fetch = fetch
        if render:
            self._render = render
        if columns:
            self._columns = columns
        self.load(0)

    def load(self, offset: int, search: str | None = None, cursor: int = 0) -> None:
        if search is not None:
            self.search = search
        self._cursor_after_load = cursor
        if self._fetch is None:
            self.show_page(Page(0, 0, []))
            return
        fetch, limit, text = self._fetch, self.page_size, self.search
        render, columns_of = self._render, self._columns
        self._serial += 1
        serial = self._serial

        def read() -> tuple[int, Page, list[str] | None, list[list[Any]]]:
            page = fetch(max(0, offset), limit, text)
            return (serial, page, *prepare(page, render, columns_of))

        read_in_worker(self, f"page:{id(self)}", read, group=f"page-{id(self)}")

    def reload(self) -> None:
        """Re-read the current page (the store changed), keeping the cursor where it is."""
        self.load(self.page_offset, cursor=self.cursor_row)

    def on_loaded(self, message: Loaded) -> None:
        if message.what != f"page:{id(self)}":
            return
        message.stop()
        serial, page, columns, cells = message.data
        if serial == self._serial:
            self.show_page(page, columns, cells)

    def show_page(self, page: Page, columns: list[str] | None = None, cells: list[list[Any]] | None = None) -> None:
        """Show a page; `columns` and `cells` come ready from the worker (else they are computed here)."""
        if cells is None:
            columns, cells = prepare(page, self._render, self._columns)
        self.page_offset, self.page_total, self.rows_data = page.offset, page.total, page.rows
        columns = columns if columns is not None else self._shown_columns
        if columns != self._shown_columns:
            self.clear(columns=True)
            self.add_columns(*columns)
            self._shown_columns = columns
        else:
            self.clear()
        self.add_rows(cells)
        if page.rows:
            self.move_cursor(row=min(self._cursor_after_load, len(page.rows) - 1))
        self.border_subtitle = self.position_text()

    def position_text(self) -> str:
        where = f" matching '{self.search}'" if self.search else ""
        if not self.page_total:
            return self.empty_text + where
        last = self.page_offset + len(self.rows_data)
        return f"rows {self.page_offset + 1:,}-{last:,} of {self.page_total:,}{where}"

    def current(self) -> dict[str, Any] | None:
        if 0 <= self.cursor_row < len(self.rows_data):
            return self.rows_data[self.cursor_row]
        return None

    # --- paging ---------------------------------------------------------------------------------------------
    @property
    def has_next(self) -> bool:
        return self.page_offset + len(self.rows_data) < self.page_total

    def action_next_page(self) -> None:
        if self.has_next:
            self.load(self.page_offset + self.page_size)

    def action_prev_page(self) -> None:
        if self.page_offset > 0:
            self.load(self.page_offset - self.page_size)

    def action_cursor_down(self) -> None:
        if self.cursor_row >= len(self.rows_data) - 1 and self.has_next:
            self.load(self.page_offset + self.page_size, cursor=0)
        else:
            super().action_cursor_down()

    def action_page_down(self) -> None:
        if self.cursor_row >= len(self.rows_data) - 1 and self.has_next:
            self.load(self.page_offset + self.page_size, cursor=0)
        else:
            super().action_page_down()

    def action_page_up(self) -> None:
        if self.cursor_row <= 0 and self.page_offset > 0:
            self.load(self.page_offset - self.page_size, cursor=self.page_size - 1)
        else:
            super().action_page_up()

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0 and self.page_offset > 0:
            self.load(self.page_offset - self.page_size, cursor=self.page_size - 1)
        else:
            super().action_cursor_up()


def prepare(page: Page, render: Render, columns_of: Callable[[list[dict]], list[str]]
            ) -> tuple[list[str] | None, list[list[Any]]]:
    """(columns, cells) of a page, cells as literal Text: pure, so the worker thread does it, not the UI."""
    if not page.rows:
        return None, []
    columns = columns_of(page.rows)
    return columns, [literal(render(row, columns)) for row in page.rows]
