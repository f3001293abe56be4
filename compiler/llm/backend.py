"""Importing and configuring litellm, once, lazily (the import costs ~2.5 s: never at `pipe --help`).

Before the import: `LITELLM_LOCAL_MODEL_COST_MAP=True` (otherwise litellm fetches its price list from the
internet). After it: no banner on stdout, and our own providers (`fake/...`, `local/...`) registered through
litellm's custom provider map, so they go through exactly the same path as remote models.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from typing import Any

_lock = threading.Lock()
_litellm: Any = None

# provider prefix -> "module:Class" of a litellm CustomLLM handler, imported on setup
CUSTOM_PROVIDERS = {
    "fake": "pipec.compiler.llm.fake:FakeLLM",
    "local": "pipec.compiler.llm.local:LocalLLM",
}


def import_litellm() -> Any:
    """litellm, imported offline and quiet (no price-list download, no banner, no import warnings)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_LOG", "ERROR")
    with warnings.catch_warnings():  # pydantic warns about litellm's own types at import
        warnings.simplefilter("ignore")
        import litellm
    # ... and again on the first call, while it builds a schema of its response types
    warnings.filterwarnings("ignore", message=".*(is|are) using the `ReadOnly` qualifier", category=UserWarning)
    litellm.suppress_debug_info = True
    litellm.set_verbose = False
    litellm.telemetry = False
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy"):
        logging.getLogger(name).setLevel(logging.ERROR)
    return litellm


def get_litellm() -> Any:
    """The configured litellm module, with our providers registered."""
    global _litellm
    if _litellm is not None:
        return _litellm
    with _lock:
        if _litellm is None:
            litellm = import_litellm()
            _register_providers(litellm)
            _litellm = litellm
    return _litellm


def _register_providers(litellm: Any) -> None:
    import importlib

    existing = {p.get("provider") for p in (litellm.custom_provider_map or [])}
    entries = list(litellm.custom_provider_map or [])
    for provider, target in CUSTOM_PROVIDERS.items():
        if provider in existing:
            continue
        module, _, cls = target.partition(":")
        handler = getattr(importlib.import_module(module), cls)()
        entries.append({"provider": provider, "custom_handler": handler})
    litellm.custom_provider_map = entries
    from litellm.utils import custom_llm_setup

    custom_llm_setup()


def provider_of(model: str) -> str:
    return model.split("/", 1)[0] if "/" in model else ""


def is_custom(model: str) -> bool:
    return provider_of(model) in CUSTOM_PROVIDERS
