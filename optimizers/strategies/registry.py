"""The strategy registry: every search strategy, built-in or third-party, registers through the entry-point
group `pipec.strategies` (name = the `strategy:` value in YAML, value = the Strategy class), exactly as ops do
through `pipec.ops`. The study loop looks strategies up here and never names one.

    [project.entry-points."pipec.strategies"]
    mine = "my_package.search:MyStrategy"

`STRATEGIES` is a read-only mapping over the group, loaded on first use (a class is imported when it is looked
up); `register()` adds a class in-process (tests, notebooks).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

GROUP = "pipec.strategies"


class StrategyRegistry(Mapping):
    def __init__(self) -> None:
        self._entry_points: dict[str, EntryPoint] | None = None
        self._classes: dict[str, type] = {}

    def _points(self) -> dict[str, EntryPoint]:
        if self._entry_points is None:
            self._entry_points = {}
            for ep in entry_points(group=GROUP):
                self._entry_points.setdefault(ep.name, ep)
        return self._entry_points

    def refresh(self) -> None:
        """Re-read the entry points (after installing a plugin in this process)."""
        self._entry_points = None

    def register(self, cls: type, name: str | None = None) -> type:
        self._classes[name or cls.name] = cls
        return cls

    def unregister(self, name: str) -> None:
        self._classes.pop(name, None)

    def __getitem__(self, name: str) -> Any:
        if name in self._classes:
            return self._classes[name]
        ep = self._points()[name]
        cls = ep.load()
        if not getattr(cls, "name", None):
            raise TypeError(f"strategy entry point '{name}' ({ep.value}) is not a Strategy class with a name")
        self._classes[name] = cls
        return cls

    def __contains__(self, name: object) -> bool:
        return name in self._classes or name in self._points()

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(set(self._points()) | set(self._classes)))

    def __len__(self) -> int:
        return len(set(self._points()) | set(self._classes))


STRATEGIES = StrategyRegistry()
