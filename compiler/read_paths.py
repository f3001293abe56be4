"""Which files a graph reads, and the allow-list for prompt files outside the graph's folder.

Running a graph someone else wrote must not send your files to an LLM provider: a prompt or template parameter
that names a file (`file:/etc/hostname`, `file:~/.bashrc`, `../../secrets.txt`) outside the folder of the graph's
YAML file is a compile error unless allowed, by the graph (`settings.allow_paths: [../prompts]`, relative to the
graph's folder) or by whoever runs it (`--allow-path DIR`, or `PIPEC_ALLOW_PATHS`, os.pathsep-separated).
Data paths (`PathParam`s such as `load.folder`'s `path`) are not refused, as data commonly lives elsewhere, but
`pipe validate` lists every path outside the graph's folder that the graph reads, data and prompts alike.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV = "PIPEC_ALLOW_PATHS"


@dataclass(frozen=True)
class ReadPath:
    node: str
    param: str
    path: Path  # resolved
    kind: str  # "prompt" or "data"


def _is_prompt_file(value: Any) -> bool:
    from .llm.templates import is_file_reference

    return isinstance(value, str) and bool(value.strip()) and is_file_reference(value)


def prompt_path(value: str, base_dir: Path) -> Path:
    text = value.strip()
    rel = text[5:].strip() if text.startswith("file:") else text
    path = Path(rel).expanduser()
    return (path if path.is_absolute() else base_dir / path).resolve()


def graph_reads(nodes: dict[str, Any], base_dir: Path) -> list[ReadPath]:
    """Every file or folder the compiled nodes' parameters name: prompt files and data paths."""
    from .op import path_fields, resolve_param_path

    out: list[ReadPath] = []
    for name, node in nodes.items():
        params = getattr(node, "params", None)
        if params is None:
            continue
        data_fields = set(path_fields(type(params)))
        for field in type(params).model_fields:
            value = getattr(params, field, None)
            if field in data_fields and isinstance(value, str) and value:
                out.append(ReadPath(name, field, resolve_param_path(base_dir, value).resolve(), "data"))
            elif _is_prompt_file(value):
                out.append(ReadPath(name, field, prompt_path(value, base_dir), "prompt"))
    return out


def allowed_roots(allow_paths: Iterable[str], base_dir: Path) -> list[Path]:
    roots = [base_dir.resolve()]
    for raw in list(allow_paths) + [p for p in os.environ.get(ENV, "").split(os.pathsep) if p.strip()]:
        path = Path(raw.strip()).expanduser()
        roots.append((path if path.is_absolute() else base_dir / path).resolve())
    return roots


def is_inside(path: Path, roots: Iterable[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def outside(reads: Iterable[ReadPath], base_dir: Path) -> list[ReadPath]:
    root = base_dir.resolve()
    return [r for r in reads if not is_inside(r.path, [root])]


def prompt_path_problems(nodes: dict[str, Any], base_dir: Path, allow_paths: Iterable[str]
                         ) -> list[tuple[str, str, str, str]]:
    """(node, param, message, fix) for each prompt file outside the graph's folder and every allowed path."""
    roots = allowed_roots(allow_paths, base_dir)
    problems = []
    for r in graph_reads(nodes, base_dir):
        if r.kind == "prompt" and not is_inside(r.path, roots):
            problems.append((r.node, r.param,
                             f"parameter '{r.param}': prompt file {r.path} is outside the graph's folder "
                             f"({base_dir.resolve()}); it would be read and sent to the model",
                             f"allow it with 'settings: {{allow_paths: [{r.path.parent}]}}' or --allow-path "
                             f"{r.path.parent}; or copy it beside the graph"))
    return problems


def allow_from_command_line(paths: Iterable[str]) -> None:
    """`--allow-path`: kept in the environment so trials and worker processes compile with it too."""
    extra = [str(Path(p).expanduser().resolve()) for p in paths if p]
    if extra:
        current = [p for p in os.environ.get(ENV, "").split(os.pathsep) if p]
        os.environ[ENV] = os.pathsep.join(dict.fromkeys(current + extra))


def outside_report(graph: Any) -> list[str]:
    """One line per path outside the graph's folder that the graph reads (what `pipe validate` prints)."""
    return [f"  node '{r.node}' {r.param}: {r.path} ({r.kind})"
            for r in outside(graph_reads(graph.nodes, graph.base_dir), graph.base_dir)]
