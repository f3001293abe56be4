"""Write a graph with overrides applied by editing the user's own YAML (ruamel.yaml round trip): comments, key
order and layout survive, and only the values that differ change. Used by `pipe export` and `pipe tune --out`.

Relative paths keep pointing at the same files when the new file lands in another folder: a value that names
a file beside the graph is rewritten relative to the new file's folder (path parameters count by content in
node keys, so the plan's keys do not change).
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from .compile import Override, override_target
from .errors import UsageError
from .interpolate import parse_override


def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML()  # round-trip mode
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap the user's lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(
        type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null"))
    return yaml


def _plain(value: Any) -> Any:
    """A ruamel value as plain Python data."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _is_relative_path(value: Any) -> bool:
    return (isinstance(value, str) and bool(value) and "\n" not in value and "${" not in value and len(value) < 400
            and not os.path.isabs(value))


def _from_cwd(value: Any, src_dir: Path) -> Any:
    """An override naming a file from the current directory (not beside the graph), relative to the graph."""
    if not _is_relative_path(value):
        return value
    try:
        if (src_dir / value).exists() or not Path(value).exists():
            return value
    except OSError:
        return value
    return os.path.relpath(Path(value).resolve(), src_dir)


def _rebase(node: Any, src_dir: Path, out_dir: Path) -> None:
    """Rewrite, in place, relative paths that name files beside the graph so they work from `out_dir`."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in list(items):
        if isinstance(value, (dict, list)):
            _rebase(value, src_dir, out_dir)
        elif _is_relative_path(value):
            try:
                if (src_dir / value).exists():
                    node[key] = os.path.relpath((src_dir / value).resolve(), out_dir)
            except OSError:
                continue


def _set(doc: Any, path: list[Any], value: Any) -> bool:
    """Set doc[path] = value unless it is already equal; creates missing mappings. True when it changed."""
    from ruamel.yaml.comments import CommentedMap

    target = doc
    for part in path[:-1]:
        nxt = target.get(part)
        if not isinstance(nxt, dict):
            nxt = CommentedMap()
            target[part] = nxt
        target = nxt
    last = path[-1]
    if last in target and _plain(target[last]) == value:
        return False
    target[last] = value
    return True


def edit_yaml(graph_file: str | Path, overrides: list[Override], out: str | Path | None = None,
              header: str | None = None) -> str:
    """The text of `graph_file` with `overrides` (as `--set` takes them) applied, for writing to `out`."""
    graph_file = Path(graph_file)
    try:
        text = graph_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {graph_file}: {exc.strerror}") from None
    yaml = _yaml()
    doc = yaml.load(text)
    src_dir = graph_file.resolve().parent
    out_dir = Path(out).resolve().parent if out else src_dir
    changes: list[tuple[list[Any], Any]] = _rebased(_plain(doc), src_dir, out_dir) if src_dir != out_dir else []
    for item in overrides:  # after the graph's own paths, so that an override wins over its rebased value
        path, value = parse_override(item) if isinstance(item, str) else (list(item[0]), item[1])
        target = override_target(_plain(doc), path)
        if isinstance(target, str):
            raise UsageError(f"--set: {target}")
        value = _from_cwd(value, src_dir)  # now relative to the graph's folder, like the graph's own paths
        if src_dir != out_dir and _is_relative_path(value) and (src_dir / value).exists():
            value = os.path.relpath((src_dir / value).resolve(), out_dir)
        changes = [c for c in changes if c[0] != list(target)] + [(target, value)]
    body = _splice(text, doc, changes)
    if body is None:  # a change ruamel must write itself (a new key, a multi-line value): re-emit the document
        for target, value in changes:
            _set(doc, target, value)
        stream = io.StringIO()
        yaml.dump(doc, stream)
        body = stream.getvalue()
    if header:
        body = "".join(f"# {line}\n" for line in header.splitlines()) + body
    return body


def _rebased(data: Any, src_dir: Path, out_dir: Path, path: tuple = ()) -> list[tuple[list[Any], Any]]:
    """(path, new value) for every relative path that names a file beside the graph, seen from `out_dir`."""
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else []
    out: list[tuple[list[Any], Any]] = []
    for key, value in items:
        if isinstance(value, (dict, list)):
            out += _rebased(value, src_dir, out_dir, path + (key,))
        elif _is_relative_path(value):
            try:
                if (src_dir / value).exists():
                    out.append((list(path + (key,)), os.path.relpath((src_dir / value).resolve(), out_dir)))
            except OSError:
                continue
    return out


def _scalar_text(value: Any) -> str:
    import json
    import re

    if isinstance(value, str):
        plain = re.fullmatch(r"[A-Za-z_./][A-Za-z0-9_./-]*", value) and value.lower() not in {
            "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}
        return value if plain else json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)  # numbers, booleans, null, and lists/dicts as flow YAML


def _splice(text: str, doc: Any, changes: list[tuple[list[Any], Any]]) -> str | None:
    """Replace each changed scalar in the text itself (nothing else moves); None when one cannot be."""
    import yaml as pyyaml

    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, int, int, int, str]] = []  # line, col, -seq, end, new text
    for path, value in changes:
        parent: Any = doc
        for part in path[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        key = path[-1]
        if not isinstance(parent, dict):
            return None
        if key not in parent:
            insert = _insertion(lines, parent, key, value)
            if insert is None:
                return None
            (line, col), new = insert
            edits.append((line, col, -len(edits), col, new))
            continue
        old = parent[key]
        if _plain(old) == value:
            continue
        if isinstance(old, (dict, list)):
            return None
        line, col = parent.lc.value(key)
        end = _scalar_end(lines[line], col, flow=bool(parent.fa.flow_style()))
        if end is None or pyyaml.safe_load(lines[line][col:end]) != _plain(old):
            return None
        edits.append((line, col, -len(edits), end, _scalar_text(value)))
    for line, col, _, end, new in sorted(edits, reverse=True):  # bottom-up; same spot: in the order given
        if line == len(lines):
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += "\n"
            lines.append("")
        lines[line] = lines[line][:col] + new + lines[line][end:]
    return "".join(lines)


def _insertion(lines: list[str], parent: Any, key: Any, value: Any) -> tuple[tuple[int, int], str] | None:
    """Where and what to insert for a key the mapping lacks: `, key: value` before a one-line flow mapping's
    `}`, or a `key: value` line after a block mapping's last one-line entry. None when neither fits."""
    entry = f"{key}: {_scalar_text(value)}"
    if parent.fa.flow_style():
        line, col = parent.lc.line, parent.lc.col
        end = _scalar_end(lines[line], col, flow=False)
        close = lines[line].rfind("}", col, end if end is not None else len(lines[line]))
        if close < 0 or lines[line][col:col + 1] != "{" or lines[line].count("{", col, close) != 1:
            return None
        sep = ", " if parent else ""
        return (line, close), f"{sep}{entry}"
    if not parent:
        return None
    last = list(parent)[-1]
    if isinstance(parent[last], (dict, list)):
        return None
    key_line, key_col = parent.lc.key(last)
    value_line, _ = parent.lc.value(last)
    if value_line != key_line:
        return None
    return (key_line + 1, 0), " " * key_col + entry + "\n"


def _scalar_end(line: str, col: int, flow: bool) -> int | None:
    """Where the scalar starting at `col` ends on its line (None when it goes on past the line)."""
    quote = line[col:col + 1]
    if quote in ("'", '"'):
        i = col + 1
        while i < len(line):
            if quote == '"' and line[i] == "\\":
                i += 2
                continue
            if line[i] == quote:
                if quote == "'" and line[i + 1:i + 2] == "'":
                    i += 2
                    continue
                return i + 1
            i += 1
        return None
    stops = ",]}" if flow else ""
    i = col
    while i < len(line) and line[i] not in "\r\n" and line[i] not in stops and not (
            line[i] == "#" and i > col and line[i - 1] in " \t"):
        i += 1
    while i > col and line[i - 1] in " \t":
        i -= 1
    return i


def run_overrides(config: dict[str, Any], graph_file: str | Path) -> list[Override]:
    """Overrides that turn `graph_file` into a stored run's resolved config: the pipeline parameters that
    differ, then the node parameters that still differ once those are applied."""
    from .compile import compile_file

    base = compile_file(graph_file)
    overrides: list[Override] = []
    for name, value in (config.get("params") or {}).items():
        if name in base.params and base.params[name] != value:
            overrides.append(([name], value))
    graph = compile_file(graph_file, overrides) if overrides else base
    for name, node in (config.get("nodes") or {}).items():
        if name not in graph.nodes or not isinstance(node, dict):
            continue
        current = graph.nodes[name].display_params
        for key, value in (node.get("params") or {}).items():
            if current.get(key) != value:
                overrides.append(([name, key], value))
    return overrides


def dump_config(config: dict[str, Any]) -> str:
    """A stored config as YAML (when its graph file is gone: no comments to keep)."""
    stream = io.StringIO()
    _yaml().dump(config, stream)
    return stream.getvalue()
