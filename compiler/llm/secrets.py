"""The secrets a run knows about, and redacting them from every text before it is printed or stored.

Known secrets are the values of the `${env:NAME}` references a graph uses (registered by the executor with
their placeholder), API keys passed as call parameters (`api_key: ...`), and the values of the providers' key
variables in the environment (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`, any `*_API_KEY`, `*_TOKEN`, `*_SECRET*`,
`*PASSWORD*`), which a provider's error message may echo back. The registry is process-wide: an error raised
on the gateway's loop is redacted before any caller sees it.
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any

# Environment variables whose values are treated as secrets (the providers' key variables and the like).
SECRET_ENV = re.compile(r"(API_KEY|_KEY$|TOKEN|SECRET|PASSWORD|CREDENTIAL)", re.IGNORECASE)
MIN_SECRET_CHARS = 6  # shorter values ("1", "true") would redact ordinary text

_lock = threading.Lock()
_registered: dict[str, str] = {}


def register(secrets: dict[str, str]) -> None:
    """Add secret value -> placeholder pairs (e.g. `{"sk-...": "${env:OPENAI_API_KEY}"}`)."""
    with _lock:
        for value, placeholder in secrets.items():
            if isinstance(value, str) and len(value) >= MIN_SECRET_CHARS:
                _registered.setdefault(value, placeholder)


def env_secrets() -> dict[str, str]:
    """The values of the environment's key-like variables, each with a `${env:NAME}` placeholder."""
    out = {}
    for name, value in os.environ.items():
        if SECRET_ENV.search(name) and len(value) >= MIN_SECRET_CHARS and not value.startswith(("/", "http")):
            out.setdefault(value, f"${{env:{name}}}")
    return out


def known() -> dict[str, str]:
    """Every known secret value -> placeholder, longest first (a secret containing another is replaced whole)."""
    with _lock:
        merged = {**env_secrets(), **_registered}
    return dict(sorted(merged.items(), key=lambda kv: -len(kv[0])))


def redact(value: Any, extra: dict[str, str] | None = None) -> Any:
    """`value` (a string, or lists/dicts of them) with every known secret replaced by its placeholder."""
    secrets = known()
    if extra:
        secrets = dict(sorted({**secrets, **extra}.items(), key=lambda kv: -len(kv[0])))
    return _replace(value, secrets)


def _replace(value: Any, secrets: dict[str, str]) -> Any:
    if isinstance(value, str):
        for secret, placeholder in secrets.items():
            if secret in value:
                value = value.replace(secret, placeholder)
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_replace(v, secrets) for v in value)
    if isinstance(value, dict):
        return {k: _replace(v, secrets) for k, v in value.items()}
    return value


def redact_error(exc: BaseException) -> BaseException:
    """The exception with its message redacted in place (its args), for errors shown or stored as they are."""
    args = tuple(redact(a) if isinstance(a, str) else a for a in exc.args)
    if args != exc.args:
        exc.args = args
    return exc
