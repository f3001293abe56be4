"""Load YAML into plain Python values while remembering where every value came from.

PyYAML's composer gives nodes with marks; we build plain dicts/lists/scalars from them and record a
`Location` for each path (a tuple of keys and indexes), so any later check can point at a file:line:col.
Duplicate mapping keys, which PyYAML silently overwrites, are reported as diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import CompileError, Diagnostic, Location

try:  # libyaml is much faster when present
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

PathKey = tuple[Any, ...]


@dataclass
class YamlSource:
    """Parsed YAML plus a location for every path and every mapping key."""

    file: str
    data: Any
    locations: dict[PathKey, Location] = field(default_factory=dict)
    key_locations: dict[PathKey, Location] = field(default_factory=dict)
    duplicates: list[Diagnostic] = field(default_factory=list)

    def loc(self, *path: Any) -> Location | None:
        """Location of the value at `path`, or of the nearest enclosing value that has one."""
        p = tuple(path)
        while p:
            if p in self.locations:
                return self.locations[p]
            p = p[:-1]
        return self.locations.get(())

    def key_loc(self, *path: Any) -> Location | None:
        """Location of the mapping key that ends `path` (falls back to the value's location)."""
        return self.key_locations.get(tuple(path)) or self.loc(*path)


def _location(file: str, node: yaml.Node) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


_scalars = yaml.constructor.SafeConstructor()


def _construct_scalar(node: yaml.ScalarNode) -> Any:
    return _scalars.construct_object(node, deep=True)


def _build(src: YamlSource, node: yaml.Node, path: PathKey) -> Any:
    src.locations[path] = _location(src.file, node)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _construct_scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            if key == "<<":
                raise CompileError(
                    [Diagnostic("YAML merge keys ('<<') are not supported", _location(src.file, key_node))]
                )
            if key in out:
                first = src.key_locations.get(path + (key,))
                src.duplicates.append(
                    Diagnostic(
                        f"duplicate key '{key}'",
                        _location(src.file, key_node),
                        fix=f"first defined at line {first.line}; rename or remove one" if first else None,
                    )
                )
                continue
            src.key_locations[path + (key,)] = _location(src.file, key_node)
            out[key] = _build(src, value_node, path + (key,))
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(src, item, path + (i,)) for i, item in enumerate(node.value)]
    return _construct_scalar(node)


def parse_yaml_text(text: str, file: str) -> YamlSource:
    """Parse YAML text; a syntax error becomes a CompileError with the position of the problem."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file, 1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise CompileError([Diagnostic(f"YAML syntax error: {problem}", loc)]) from None
    except yaml.YAMLError as exc:
        raise CompileError([Diagnostic(f"YAML error: {exc}", Location(file, 1, 1))]) from None
    src = YamlSource(file=file, data=None)
    src.data = _build(src, root, ()) if root is not None else None
    return src


def load_yaml_file(path: str | Path) -> YamlSource:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        from .errors import UsageError

        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_yaml_text(text, str(path))
