"""Free a DataTable's cleared render caches at once, not at the next full garbage collection.

textual's `LRUCache.clear()` drops its dict but leaves the doubly linked entries ([prev, next, key, value])
pointing at each other: every cleared cache becomes cyclic garbage holding a page's rendered rows. Showing a
new page clears the caches, so long scrolls piled up ~5,000 objects a page, and Python's full collections
over them paused the UI for 0.1-0.4 s every ~12 pages (bench/tui). Unlinking the entries first lets
reference counting free most of them at once (what is left, ~1,200 objects for a 28-row page, is Strips
caching their own crops). If textual's cache changes shape this does nothing.
"""

from __future__ import annotations

from textual.cache import LRUCache


class FreeCacheCycles:
    """Mix in before DataTable: `class MyTable(FreeCacheCycles, DataTable)`."""

    def _clear_caches(self) -> None:
        for value in vars(self).values():
            links = getattr(value, "_cache", None) if isinstance(value, LRUCache) else None
            if isinstance(links, dict):
                for link in links.values():
                    if isinstance(link, list):
                        link.clear()
        super()._clear_caches()
