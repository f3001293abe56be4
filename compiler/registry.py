"""The op registry: built-in and third-party ops both come from the `pipec.ops` entry-point group.

Op names are known without importing anything (entry-point metadata, kept in the op index of op_index.py so
that a start of `pipe` does not read every installed distribution); an op's module is imported only when a graph
uses it or `pipe ops` lists it. A YAML file can only name registered ops: loading a graph never imports a module
named in the YAML.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import PipeError

if TYPE_CHECKING:
    from .op import Op
    from .op_index import IndexedEntryPoint

GROUP = "pipec.ops"


class Registry:
    def __init__(self, include_entry_points: bool = True):
        self._entry_points: dict[str, IndexedEntryPoint] = {}
        self._classes: dict[str, type[Op]] = {}
        if include_entry_points:
            from .op_index import load

            for ep in load(GROUP):
                self._entry_points.setdefault(ep.name, ep)

    def names(self) -> list[str]:
        return sorted(set(self._entry_points) | set(self._classes))

    def __contains__(self, name: str) -> bool:
        return name in self._classes or name in self._entry_points

    def register(self, cls: type[Op], name: str | None = None) -> type[Op]:
        """Register an op class directly (tests, notebooks, embedding pipec in another program)."""
        self._classes[name or cls.name] = cls
        return cls

    def get(self, name: str) -> type[Op]:
        cls = self._classes.get(name)
        if cls is not None:
            return cls
        ep = self._entry_points.get(name)
        if ep is None:
            raise KeyError(name)
        try:
            cls = ep.load()
        except Exception as exc:  # a broken plugin must not crash the compiler with a traceback
            raise PipeError(f"op '{name}' is registered by {ep.value} but failed to import: {exc}") from exc
        from .op import Op

        if not (isinstance(cls, type) and issubclass(cls, Op)):
            raise PipeError(f"entry point '{name}' = {ep.value} is not a pipec Op class")
        self._classes[name] = cls
        return cls


_default: Registry | None = None


def default_registry() -> Registry:
    global _default
    if _default is None:
        _default = Registry()
    return _default
