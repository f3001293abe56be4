"""Normalizing a request and hashing it for the response cache.

The hash covers what changes the output: the model, the messages, and every parameter except those that only
change how the request is sent (timeout, retries, keys, metadata). Message dicts are canonicalized (sorted
keys), so the same request always gets the same hash.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .fingerprints import FAKE_SCRIPT_ENV, fake_script_identity, model_fingerprint  # noqa: F401 - fake.py reads them here

# Parameters that never change a response: left out of the hash and of the call log.
TRANSPORT_PARAMS = frozenset({"timeout", "request_timeout", "max_retries", "num_retries", "api_key", "metadata",
                              "stream", "user", "extra_headers", "headers", "caching", "mock_response"})
# Parameters that are secrets: never logged.
SECRET_PARAMS = frozenset({"api_key", "aws_secret_access_key", "aws_session_token", "azure_ad_token",
                           "vertex_credentials", "extra_headers", "headers"})

Messages = list[dict[str, Any]]


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
    if (fingerprint := model_fingerprint(model)) is not None:  # the provider's hook (e.g. the fake script)
        payload["model_fingerprint"] = fingerprint
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def loggable_params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: _schema_of(v) for k, v in params.items() if k not in SECRET_PARAMS}
