"""Table cells as literal rich Text: DataTable parses a plain str as console markup (with emoji codes) on
every render, which costs ~0.1 ms a cell (most of a page's load time) and misreads store text that holds
brackets, such as an LLM response with "[/INST]"."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text


def literal(cells: Iterable[Any]) -> list[Any]:
    return [Text(c) if isinstance(c, str) else c for c in cells]
