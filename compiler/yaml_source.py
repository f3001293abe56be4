"""Load YAML into plain Python values while remembering where every value came from.

The document is built straight from PyYAML's event stream (no recursion, nothing constructed but plain
values), recording a `Location` for each path (a tuple of keys and indexes), so any later check can point at a
file:line:col. It is total: whatever the bytes, the result is a `YamlSource` or a `CompileError` with the line.

- Only plain YAML values are built: text, numbers, true/false, null, lists and mappings. Any other explicit tag
  (`!!python/...`, `!custom`, `!!binary`, `!!set`, ...) is refused with its line; nothing is ever executed.
  An explicit core tag on a wrong value (`!!int abc`) is an error with the line. Unquoted dates stay text.
- Merge keys (`<<`) and non-scalar mapping keys are refused; duplicate keys are reported as diagnostics.
- Aliases: an alias to a list or mapping still being built (a recursive alias) is refused; every alias counts
  the nodes it expands to, and the document is refused past a limit (an "alias bomb" stops at once).
- Nesting deeper than a limit is refused with "nested too deeply" and the line.

Limits are environment settings (see docs/input-limits.md):
    PIPEC_YAML_MAX_NODES   values in the document once aliases are expanded (default 250,000)
    PIPEC_YAML_MAX_DEPTH   nesting of lists and mappings (default 100)
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import CompileError, Diagnostic, Location
from .yaml_text import check_size, decode_yaml_bytes, max_bytes

try:  # libyaml is much faster when present
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

PathKey = tuple[Any, ...]
DEFAULT_MAX_NODES = 250_000
DEFAULT_MAX_DEPTH = 100

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null")}
_ALLOWED_NOTE = "only plain YAML values are allowed: text, numbers, true/false, null, lists and mappings"


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


def _limit(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        return max(1, int(raw)) if raw else default
    except ValueError:
        return default


def max_nodes() -> int:
    return _limit("PIPEC_YAML_MAX_NODES", DEFAULT_MAX_NODES)


def max_depth() -> int:
    return _limit("PIPEC_YAML_MAX_DEPTH", DEFAULT_MAX_DEPTH)


def short_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag


# --- scalars -------------------------------------------------------------------------------------------------

_resolver = yaml.resolver.Resolver()
_constructor = yaml.constructor.SafeConstructor()
_BUILD = {
    _CORE + "int": _constructor.construct_yaml_int,
    _CORE + "float": _constructor.construct_yaml_float,
    _CORE + "bool": _constructor.construct_yaml_bool,
    _CORE + "null": _constructor.construct_yaml_null,
}
_WORD = {_CORE + "int": "an integer", _CORE + "float": "a number", _CORE + "bool": "true or false"}


class _Refused(Exception):
    def __init__(self, message: str, mark: Any, fix: str | None = None):
        super().__init__(message)
        self.mark, self.fix = mark, fix


def _scalar(event: yaml.ScalarEvent) -> Any:
    explicit = event.tag not in (None, "!")
    if explicit:
        tag = event.tag
        if tag not in _SCALAR_TAGS:
            raise _Refused(f"tag '{short_tag(tag)}' is not allowed", event.start_mark, _ALLOWED_NOTE)
    else:
        tag = _resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
    if tag == _CORE + "str" or tag not in _BUILD:  # str, and the implicit timestamp/merge/value: their text
        return event.value
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark)
    try:
        value = _BUILD[tag](node)
    except Exception:  # !!int abc, !!bool maybe, an integer of 10,000 digits
        shown = event.value if len(event.value) <= 40 else event.value[:40] + "..."
        raise _Refused(f"'{shown}' is not {_WORD.get(tag, 'valid for ' + short_tag(tag))}"
                       + (f" (tag {short_tag(tag)})" if explicit else ""), event.start_mark,
                       "remove the tag or fix the value" if explicit else "quote it to make it text") from None
    return value


# --- the event-stream builder --------------------------------------------------------------------------------

@dataclass
class _Frame:
    container: Any  # dict or list being filled
    path: PathKey | None  # None: a discarded subtree (a duplicate key's value), nothing is recorded
    anchor: str | None
    start_nodes: int
    key: Any = None
    key_mark: Any = None
    has_key: bool = False


class _Builder:
    def __init__(self, src: YamlSource):
        self.src = src
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}  # anchor -> (value, node count)
        self.nodes = 0
        self.max_nodes = max_nodes()
        self.max_depth = max_depth()
        self.root: Any = None
        self.documents = 0

    def loc(self, mark: Any) -> Location:
        return Location(self.src.file, mark.line + 1, mark.column + 1)

    # where the next value goes: its path, and whether it is a key
    def _slot(self) -> tuple[PathKey | None, bool]:
        if not self.stack:
            return (), False
        top = self.stack[-1]
        if isinstance(top.container, list):
            return (None if top.path is None else top.path + (len(top.container),)), False
        if not top.has_key:
            return None, True
        return (None if top.path is None else top.path + (top.key,)), False

    def _count(self, n: int, mark: Any) -> None:
        self.nodes += n
        if self.nodes > self.max_nodes:
            raise _Refused(f"the document expands to more than {self.max_nodes:,} values (an alias bomb?)", mark,
                           "remove the nested aliases, or raise the limit with PIPEC_YAML_MAX_NODES")

    def _put(self, value: Any, mark: Any, is_scalar: bool) -> None:
        """Place a finished value (a scalar, a closed collection or an alias) where it belongs."""
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        if isinstance(top.container, list):
            top.container.append(value)
            return
        if not top.has_key:
            if not is_scalar:
                raise _Refused("a mapping key must be a plain value, not a list or mapping", mark,
                               "write the key as text")
            if value == "<<" and self._last_plain_merge:
                raise _Refused("YAML merge keys ('<<') are not supported", mark, "write the keys out in full")
            try:
                hash(value)
            except TypeError:
                raise _Refused("a mapping key must be a plain value", mark, "write the key as text") from None
            top.key, top.key_mark, top.has_key = value, mark, True
            return
        key = top.key
        top.has_key = False
        if top.path is not None and key not in top.container:
            top.container[key] = value

    def _begin_value(self, mark: Any, is_collection: bool) -> PathKey | None:
        """Before a new value: record the location of the key it belongs to, and of itself."""
        path, is_key = self._slot()
        if is_key:
            return None
        top = self.stack[-1] if self.stack else None
        if top is not None and isinstance(top.container, dict) and top.path is not None:
            key = top.key
            if key in top.container or (top.path + (key,)) in self.src.key_locations:
                first = self.src.key_locations.get(top.path + (key,))
                self.src.duplicates.append(Diagnostic(
                    f"duplicate key '{key}'", self.loc(top.key_mark),
                    fix=f"first defined at line {first.line}; rename or remove one" if first else None))
                return None  # keep the first value: this one is built and discarded
            self.src.key_locations[top.path + (key,)] = self.loc(top.key_mark)
        if path is not None:
            self.src.locations[path] = self.loc(mark)
        return path

    def event(self, ev: yaml.Event) -> None:
        if isinstance(ev, yaml.ScalarEvent):
            self._last_plain_merge = ev.tag in (None, "!") and ev.implicit[0] and ev.value == "<<"
            value = _scalar(ev)
            self._count(1, ev.start_mark)
            self._begin_value(ev.start_mark, False)
            if ev.anchor:
                self.anchors[ev.anchor] = (value, 1)
            self._put(value, ev.start_mark, True)
        elif isinstance(ev, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            is_seq = isinstance(ev, yaml.SequenceStartEvent)
            wanted = _CORE + ("seq" if is_seq else "map")
            if ev.tag not in (None, "!", wanted):
                raise _Refused(f"tag '{short_tag(ev.tag)}' is not allowed", ev.start_mark, _ALLOWED_NOTE)
            if self._slot()[1]:
                raise _Refused("a mapping key must be a plain value, not a list or mapping", ev.start_mark,
                               "write the key as text")
            if len(self.stack) >= self.max_depth:
                raise _Refused(_too_deep(self.max_depth), ev.start_mark, _TOO_DEEP_FIX)
            self._count(1, ev.start_mark)
            path = self._begin_value(ev.start_mark, True)
            discarded = bool(self.stack) and path is None
            self.stack.append(_Frame([] if is_seq else {}, None if discarded else path, ev.anchor, self.nodes))
        elif isinstance(ev, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            frame = self.stack.pop()
            if frame.anchor:
                self.anchors[frame.anchor] = (frame.container, self.nodes - frame.start_nodes + 1)
            self._put(frame.container, ev.start_mark, False)
        elif isinstance(ev, yaml.AliasEvent):
            self._alias(ev)
        elif isinstance(ev, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise _Refused("more than one YAML document ('---') in the file", ev.start_mark,
                               "a pipeline is one document: remove the second '---' and what follows, or merge them")

    _last_plain_merge = False

    def _alias(self, ev: yaml.AliasEvent) -> None:
        if any(f.anchor == ev.anchor for f in self.stack):
            raise _Refused(f"recursive alias '*{ev.anchor}': it refers to the value that contains it",
                           ev.start_mark, "an alias can only repeat a value defined before it")
        if ev.anchor not in self.anchors:
            raise _Refused(f"alias '*{ev.anchor}' refers to no anchor '&{ev.anchor}' defined before it",
                           ev.start_mark, None)
        value, size = self.anchors[ev.anchor]
        self._count(size, ev.start_mark)
        self._last_plain_merge = False
        is_scalar = not isinstance(value, (list, dict))
        if not self._slot()[1]:
            self._begin_value(ev.start_mark, not is_scalar)
        self._put(value if is_scalar else copy.deepcopy(value), ev.start_mark, is_scalar)


LIBYAML_MAX_DEPTH = 1000
_TOO_DEEP_FIX = "flatten the structure, or raise the limit with PIPEC_YAML_MAX_DEPTH"


def _too_deep(limit: int) -> str:
    return f"nested too deeply (more than {limit} levels of lists and mappings)"


def parse_yaml_text(text: str, file: str) -> YamlSource:
    """Parse YAML text; any problem becomes a CompileError with the position of the problem."""
    if len(text) > max_bytes() // 4:  # cheap for small texts; a large one is measured in bytes
        check_size(len(text.encode("utf-8", "surrogatepass")), file)
    src = YamlSource(file=file, data=None)
    builder = _Builder(src)
    try:
        for ev in yaml.parse(text, Loader=_Loader):
            builder.event(ev)
    except _Refused as exc:
        raise CompileError([Diagnostic(str(exc), builder.loc(exc.mark), fix=exc.fix)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file, 1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        if "nesting depth" in problem:  # the libyaml in PyYAML >= 6.0.4 wheels stops at 1000 levels itself
            limit = min(builder.max_depth, LIBYAML_MAX_DEPTH)
            raise CompileError([Diagnostic(_too_deep(limit), loc, fix=_TOO_DEEP_FIX)]) from None
        raise CompileError([Diagnostic(f"YAML syntax error: {problem}", loc)]) from None
    except yaml.reader.ReaderError as exc:
        pos = max(0, min(exc.position, len(text)))
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        raise CompileError([Diagnostic(f"YAML error: {exc.reason}", Location(file, line, col))]) from None
    except yaml.YAMLError as exc:
        raise CompileError([Diagnostic(f"YAML error: {exc}", Location(file, 1, 1))]) from None
    except UnicodeError as exc:  # a lone surrogate in text given directly (a file is decoded before)
        raise CompileError([Diagnostic(f"the text is not valid Unicode: {exc.reason}", Location(file, 1, 1),
                                       fix="save it as UTF-8")]) from None
    src.data = builder.root
    return src


def load_yaml_file(path: str | Path) -> YamlSource:
    from .errors import UsageError

    path = Path(path)
    try:
        if path.is_dir():
            raise UsageError(f"{path} is a folder, not a graph file")
        check_size(path.stat().st_size, str(path))
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_yaml_text(decode_yaml_bytes(data, str(path)), str(path))
