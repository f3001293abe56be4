"""Prompt templates: inline strings or files relative to the YAML file, rendered with jinja2's sandbox.

    t = PromptTemplate("Answer: {{ item.question }}", base_dir=Path("."), name="prompt")
    t.variables()            # {"item"}: top-level names the template uses (checked at compile time)
    t.render(item=q)         # StrictUndefined: a missing variable or field is a TemplateError naming both

A value is a file reference when it is one line without `{{`/`{%` that ends in .j2, .jinja, .jinja2, .txt,
.md or .prompt, or starts with `file:`. Anything else is the template text itself. A prompt is an ordinary
parameter, so `pipe tune` can search over prompts (inline strings or files).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Any

from .errors import TemplateError

FILE_SUFFIXES = (".j2", ".jinja", ".jinja2", ".txt", ".md", ".prompt")


def is_file_reference(source: str) -> bool:
    text = source.strip()
    if text.startswith("file:"):
        return True
    return ("\n" not in text and "{{" not in text and "{%" not in text and text.lower().endswith(FILE_SUFFIXES))


def _environment(base_dir: Path | None) -> Any:
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    loader = FileSystemLoader(str(base_dir)) if base_dir is not None else None
    return SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False,
                                loader=loader)


class PromptTemplate:
    def __init__(self, source: str, base_dir: str | Path | None = None, name: str = "prompt"):
        self.source = source
        self.base_dir = Path(base_dir) if base_dir is not None else None
        self.name = name
        self.path: Path | None = None
        if is_file_reference(source):
            rel = source.strip()[5:].strip() if source.strip().startswith("file:") else source.strip()
            path = Path(rel).expanduser()
            self.path = path if path.is_absolute() or self.base_dir is None else self.base_dir / path

    @property
    def label(self) -> str:
        where = f"file {self.path}" if self.path is not None else "inline"
        return f"template '{self.name}' ({where})"

    @cached_property
    def text(self) -> str:
        if self.path is None:
            return self.source
        try:
            return self.path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TemplateError(f"{self.label}: cannot read the file: {exc.strerror or exc}") from None

    @cached_property
    def compiled(self) -> Any:
        from jinja2 import TemplateSyntaxError

        try:
            return _environment(self.base_dir).from_string(self.text)
        except TemplateSyntaxError as exc:
            raise TemplateError(f"{self.label}: syntax error on line {exc.lineno}: {exc.message}") from None

    def variables(self) -> set[str]:
        """Top-level variables the template reads (not those it sets itself with {% set %} or loops)."""
        from jinja2 import TemplateSyntaxError, meta

        env = _environment(self.base_dir)
        try:
            ast = env.parse(self.text)
        except TemplateSyntaxError as exc:
            raise TemplateError(f"{self.label}: syntax error on line {exc.lineno}: {exc.message}") from None
        return set(meta.find_undeclared_variables(ast))

    def missing(self, available: Iterable[str]) -> list[str]:
        return sorted(self.variables() - set(available))

    def render(self, **values: Any) -> str:
        from jinja2 import UndefinedError
        from jinja2.exceptions import SecurityError

        try:
            return self.compiled.render(**values)
        except UndefinedError as exc:
            raise TemplateError(f"{self.label}: {_undefined_message(str(exc))}") from None
        except SecurityError as exc:
            raise TemplateError(f"unsafe template: {self.label}: not allowed in a sandboxed template: {exc}") from None
        except TemplateError:
            raise
        except Exception as exc:  # a filter or expression failing on this value
            raise TemplateError(f"{self.label}: rendering failed: {type(exc).__name__}: {exc}") from None


def _undefined_message(text: str) -> str:
    # jinja2 says "'x' is undefined" or "'dict object' has no attribute 'y'"
    if " has no attribute " in text:
        owner, _, attr = text.partition(" has no attribute ")
        return f"the value {owner} has no field {attr}"
    if text.endswith(" is undefined"):
        return f"variable {text[:-len(' is undefined')]} is undefined"
    return text


def check_template(source: str | None, base_dir: Path, available: Iterable[str], param: str,
                   name: str | None = None) -> list[tuple[str | None, str, str | None]]:
    """Compile-time problems of a template parameter, in the form `Op.validate` returns."""
    if not source:
        return []
    template = PromptTemplate(source, base_dir, name or param)
    available = sorted(set(available))
    try:
        if template.path is not None and not template.path.exists():
            return [(param, f"{template.label}: file not found",
                     "the path is relative to the YAML file; or write the prompt inline")]
        missing = template.missing(available)
    except TemplateError as exc:
        return [(param, str(exc), None)]
    return [(param, f"{template.label} uses undefined variable '{var}'",
             f"available variables: {', '.join(available)}") for var in missing]
