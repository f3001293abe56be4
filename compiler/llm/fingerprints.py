"""Model fingerprints: what, beyond its name, identifies the replies of a model. A provider whose replies depend
on something other than the request (the fake provider's script file, a local model file) registers a hook;
node keys and response-cache keys include its answer, so changing it never serves stale results.

    register_model_fingerprint("fake", lambda model: hash_of_the_script_or_None)

Light on purpose (no litellm): node keys are computed before anything runs.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from ..fingerprint import fingerprint_path

FAKE_SCRIPT_ENV = "PIPEC_FAKE_LLM"  # the fake provider's script (compiler/llm/fake.py)

_hooks: dict[str, Callable[[str], str | None]] = {}
_lock = threading.Lock()


def register_model_fingerprint(provider: str, hook: Callable[[str], str | None]) -> None:
    """`hook(model)` for every model named `provider/...`: a content fingerprint, or None for none."""
    with _lock:
        _hooks[provider] = hook


def model_fingerprint(model: str) -> str | None:
    provider, sep, _ = model.partition("/")
    hook = _hooks.get(provider) if sep else None
    return hook(model) if hook is not None else None


def fingerprinted_models(value: Any) -> list[str]:
    """The model names inside a parameter value (nested dicts/lists) whose provider registered a hook."""
    found: list[str] = []
    _collect(value, found)
    return sorted(set(found))


def _collect(value: Any, found: list[str]) -> None:
    if isinstance(value, str):
        provider, sep, _ = value.partition("/")
        if sep and provider in _hooks:
            found.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            _collect(v, found)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _collect(v, found)


def fake_script_identity() -> str | None:
    """Content hash of the `PIPEC_FAKE_LLM` script file, if set: `fake/...` replies depend on it."""
    path = os.environ.get(FAKE_SCRIPT_ENV)
    return fingerprint_path(path) if path else None


# The built-in fake provider (compiler/llm/fake.py): its replies come from the PIPEC_FAKE_LLM script.
register_model_fingerprint("fake", lambda model: fake_script_identity())
