"""`${...}` references in parameter values, and `--set path=value` overrides.

- `${name}` is a pipeline parameter; a value that is exactly `${name}` keeps the parameter's type
  (an int stays an int); inside a longer string it is formatted as text.
- `${env:NAME}` reads the environment. Its value is a secret: it is tracked so the store and logs can redact
  it, and the *display* form of a config keeps the `${env:NAME}` placeholder instead of the value.
- `$${...}` is a literal `${...}`.
- A reference inside a reference (`${${x}}`) and an unterminated one (`${x`) are errors, never text.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .redaction import redact  # noqa: F401 - importable from here too

_REF = re.compile(r"\$(\$?)\{([^{}]*)\}")
_NESTED = re.compile(r"(?<!\$)\$\{[^{}]*\$\{")
_UNTERMINATED = re.compile(r"(?<!\$)\$\{[^{}]*$")


class InterpolationError(Exception):
    def __init__(self, message: str, fix: str | None = None):
        super().__init__(message)
        self.fix = fix


@dataclass
class Resolver:
    params: dict[str, Any]
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    secrets: dict[str, str] = field(default_factory=dict)  # secret value -> its placeholder

    def resolve(self, value: Any, reveal: bool = True) -> Any:
        """Resolve references in a value (recursively through lists and dicts).

        With reveal=False, environment references stay as placeholders (the display form)."""
        if isinstance(value, str):
            return self._resolve_str(value, reveal)
        if isinstance(value, list):
            return [self.resolve(v, reveal) for v in value]
        if isinstance(value, dict):
            return {k: self.resolve(v, reveal) for k, v in value.items()}
        return value

    def _lookup(self, ref: str, reveal: bool) -> Any:
        ref = ref.strip()
        if ref.startswith("env:"):
            name = ref[4:].strip()
            if name not in self.env:
                raise InterpolationError(
                    f"environment variable '{name}' is not set", fix=f"export {name}=... before running"
                )
            placeholder = "${env:" + name + "}"
            value = self.env[name]
            if value:
                self.secrets[value] = placeholder
            return value if reveal else placeholder
        if ref not in self.params:
            from .errors import did_you_mean

            hint = did_you_mean(ref, self.params) or (
                "declare it under 'params:' or pass --set " + ref + "=VALUE"
            )
            raise InterpolationError(f"unresolved reference '${{{ref}}}': no pipeline parameter '{ref}'", hint)
        return self.params[ref]

    def _resolve_str(self, text: str, reveal: bool) -> Any:
        check_reference_syntax(text)
        whole = _REF.fullmatch(text)
        if whole and not whole.group(1):
            return self._lookup(whole.group(2), reveal)

        def substitute(m: re.Match) -> str:
            if m.group(1):  # escaped: $${x} -> ${x}
                return "${" + m.group(2) + "}"
            value = self._lookup(m.group(2), reveal)
            return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

        return _REF.sub(substitute, text)


def check_reference_syntax(text: str) -> None:
    """Refuse `${${x}}` and `${x` (they would otherwise pass through as text, silently)."""
    if "${" not in text:
        return
    shown = text if len(text) <= 60 else text[:57] + "..."
    if _NESTED.search(text):
        raise InterpolationError(f"nested reference in '{shown}': a reference cannot contain another one",
                                 "a reference names one parameter, '${name}'; write '$${' for a literal '${'")
    if _UNTERMINATED.search(text):
        raise InterpolationError(f"unterminated reference in '{shown}': no closing '}}'",
                                 "close it: '${name}'; or write '$${' for a literal '${'")


def _check_all(value: Any) -> None:
    if isinstance(value, str):
        check_reference_syntax(value)
    elif isinstance(value, list):
        for v in value:
            _check_all(v)
    elif isinstance(value, dict):
        for v in value.values():
            _check_all(v)


def has_references(value: Any) -> bool:
    if isinstance(value, str):
        return any(not m.group(1) for m in _REF.finditer(value))
    if isinstance(value, list):
        return any(has_references(v) for v in value)
    if isinstance(value, dict):
        return any(has_references(v) for v in value.values())
    return False


def resolve_params(raw: dict[str, Any], env: dict[str, str] | None = None) -> tuple[Resolver, list[tuple]]:
    """Resolve pipeline params that reference other params or the environment.

    Returns the resolver (with resolved params) and a list of (param name, InterpolationError)."""
    if not isinstance(raw, dict):  # `params: d` in a file whose structure is already reported as wrong
        raw = {}
    resolver = Resolver(params=dict(raw), env=dict(os.environ) if env is None else env)
    errors: list[tuple] = []
    for name, value in raw.items():
        try:
            _check_all(value)
        except InterpolationError as exc:
            errors.append((name, exc))
    pending = {k for k, v in raw.items() if has_references(v)} - {name for name, _ in errors}
    # Repeatedly resolve params whose references are all resolved; what is left refers in a cycle.
    while pending:
        progressed = False
        for name in sorted(pending):
            refs = {m.group(2).strip() for m in _REF.finditer(repr(raw[name])) if not m.group(1)}
            if refs & pending:
                continue
            try:
                resolver.params[name] = resolver.resolve(raw[name])
            except InterpolationError as exc:
                errors.append((name, exc))
            pending.discard(name)
            progressed = True
        if not progressed:
            for name in sorted(pending):
                errors.append((name, InterpolationError(f"parameter '{name}' refers to itself in a cycle")))
            break
    return resolver, errors


def parse_override(text: str) -> tuple[list[str], Any]:
    """'retrieve.top_k=8' -> (['retrieve', 'top_k'], 8). The value is read as a YAML scalar or flow value."""
    if "=" not in text:
        raise ValueError(f"--set expects PATH=VALUE, got '{text}'")
    path, _, raw = text.partition("=")
    path = path.strip()
    if not path or any(not part for part in path.split(".")):
        raise ValueError(f"--set has an empty path in '{text}'")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return path.split("."), value
