"""Refuse, at compile time, prompt templates that try to leave jinja2's sandbox.

Templates render in a `SandboxedEnvironment`, which stops `{{ ''.__class__.__mro__[1].__subclasses__() }}` when it
runs; but then the error comes per item, in the middle of a run, after other nodes have spent time and money.
A template parameter (inline text with `{{`/`{%`, or a template file inside the allowed folders) that reads a
Python internal (any attribute or key starting with `_`, or `mro`, `subclasses`, `globals`, `builtins`, frames
and code objects) is a compile error: "unsafe template", naming the node, the parameter and what it reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

UNSAFE_NAMES = {"mro", "subclasses", "globals", "builtins", "func_globals", "func_code", "gi_frame", "gi_code",
                "cr_frame", "cr_code", "ag_frame", "ag_code", "f_locals", "f_globals", "f_back", "f_builtins",
                "tb_frame", "tb_next", "im_func", "im_self", "co_code", "getattr", "setattr", "delattr", "eval",
                "exec", "compile", "import_module", "system", "popen"}
MAX_TEMPLATE_BYTES = 1_000_000


def _unsafe(name: Any) -> bool:
    return isinstance(name, str) and (name.startswith("_") or name in UNSAFE_NAMES)


def unsafe_reads(text: str) -> list[str]:
    """The internals a template reads (empty: safe). A template that does not parse is left to the op's check."""
    from jinja2 import Environment, TemplateSyntaxError, nodes

    try:
        ast = Environment().parse(text)
    except (TemplateSyntaxError, RecursionError):
        return []
    found: list[str] = []
    for node in ast.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)):
        if isinstance(node, nodes.Getattr) and _unsafe(node.attr):
            found.append(node.attr)
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and _unsafe(node.arg.value):
            found.append(str(node.arg.value))
        elif isinstance(node, nodes.Name) and node.ctx == "load" and node.name.startswith("_"):
            found.append(node.name)
    return list(dict.fromkeys(found))


def _template_text(value: str, base_dir: Path, roots: list[Path]) -> str | None:
    from .llm.templates import is_file_reference
    from .read_paths import is_inside, prompt_path

    if is_file_reference(value):
        path = prompt_path(value, base_dir)
        if not is_inside(path, roots) or not path.is_file() or path.stat().st_size > MAX_TEMPLATE_BYTES:
            return None  # outside: refused by read_paths; missing or huge: the op's own check reports it
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
    return value if ("{{" in value or "{%" in value) else None


def template_problems(nodes: dict[str, Any], base_dir: Path, allow_paths: list[str]
                      ) -> list[tuple[str, str, str, str]]:
    """(node, param, message, fix) for each template parameter that reads Python internals."""
    from .read_paths import allowed_roots

    roots = allowed_roots(allow_paths, base_dir)
    problems = []
    for name, node in nodes.items():
        params = getattr(node, "params", None)
        if params is None:
            continue
        for field in type(params).model_fields:
            value = getattr(params, field, None)
            if not isinstance(value, str) or not value.strip():
                continue
            text = _template_text(value, base_dir, roots)
            reads = unsafe_reads(text) if text else []
            if reads:
                problems.append((name, field, f"unsafe template in parameter '{field}': it reads "
                                 f"{', '.join(repr(r) for r in reads)} (Python internals are not available to "
                                 "prompts)", "use only the item's fields, e.g. {{ item.question }}"))
    return problems
