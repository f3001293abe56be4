"""Secret values replaced by their placeholders in what is stored or printed (no dependencies: the store and
the start-up fast path import it without yaml)."""

from __future__ import annotations

from typing import Any


def redact(value: Any, secrets: dict[str, str]) -> Any:
    """Replace every secret value by its placeholder, anywhere inside strings, lists and dicts."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret, placeholder in secrets.items():
            if secret in value:
                value = value.replace(secret, placeholder)
        return value
    if isinstance(value, list):
        return [redact(v, secrets) for v in value]
    if isinstance(value, tuple):
        return tuple(redact(v, secrets) for v in value)
    if isinstance(value, dict):
        return {k: redact(v, secrets) for k, v in value.items()}
    return value
