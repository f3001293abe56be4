"""Normalizing a request and hashing it for the response cache.

The hash covers what changes the output: the model, the messages, and every parameter except those that only
change how the request is sent (timeout, retries, keys, metadata). Message dicts are canonicalized (sorted
keys), so the same request always gets the same hash.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from ..fingerprint import fingerprint_path

# Parameters that never change a response: left out of the hash and of the call log.
TRANSPORT_PARAMS = frozenset({"timeout", "request_timeout", "max_retries", "num_retries", "api_key", "metadata",
                              "stream", "user", "extra_headers", "headers", "caching", "mock_response"})
# Parameters that are secrets: never logged.
SECRET_PARAMS = frozenset({"api_key", "aws_secret_access_key", "aws_session_token", "azure_ad_token",
                           "vertex_credentials", "extra_headers", "headers"})

Messages = list[dict[str, Any]]

FAKE_SCRIPT_ENV = "PIPEC_FAKE_LLM"  # read by fake.py; here so cache keys need not import litellm


def normalize_messages(messages: str | Messages) -> Messages:
    """A plain string becomes one user message; dicts are copied and checked."""
    if isinstance(messages, str):
        return [{"role": "user", "content": messages}]
    if not isinstance(messages, (list, tuple)) or not messages:
        raise TypeError("messages must be a prompt string or a non-empty list of {role, content} dicts")
    out = []
    for m in messages:
        if not isinstance(m, dict) or "role" not in m or "content" not in m:
            raise TypeError(f"each message must be a dict with 'role' and 'content', got {m!r:.80}")
        out.append(dict(m))
    return out


def _schema_of(value: Any) -> Any:
    """A pydantic model class (response_format=MyModel) hashes by its JSON schema."""
    if isinstance(value, type) and hasattr(value, "model_json_schema"):
        return {"pydantic": value.__name__, "schema": value.model_json_schema()}
    return value


def output_params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: _schema_of(v) for k, v in params.items() if k not in TRANSPORT_PARAMS and v is not None}


def request_hash(model: str, messages: Messages, params: dict[str, Any], kind: str = "chat") -> str:
    payload = {"kind": kind, "model": model, "messages": messages, "params": output_params(params)}
    if uses_fake_model(model) and (script := fake_script_identity()):
        payload["fake_script"] = script
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def loggable_params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: _schema_of(v) for k, v in params.items() if k not in SECRET_PARAMS}


def fake_script_identity() -> str | None:
    """Content hash of the `PIPEC_FAKE_LLM` script file, if set: `fake/...` replies depend on it, so response
    caches and node keys must too (else a run with another script, or none, would get stale replies)."""
    path = os.environ.get(FAKE_SCRIPT_ENV)
    return fingerprint_path(path) if path else None


def uses_fake_model(value: Any) -> bool:
    """Whether a parameter value (nested dicts/lists) names a `fake/...` model."""
    if isinstance(value, str):
        return value.startswith("fake/")
    if isinstance(value, dict):
        return any(uses_fake_model(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(uses_fake_model(v) for v in value)
    return False
