"""Turning provider exceptions into one-line gateway errors, deciding what to retry, and backing off.

Retried (exponential backoff with jitter): rate limits, timeouts, dropped connections, 5xx server errors and
malformed replies (an HTML page, broken JSON, a reply without choices). After the retries each of those is a
per-item `LLMItemError`. Not retried, because they cannot succeed: 400 (bad request, context too long,
content policy) and 404 (per-item errors), 401/403 (`LLMAuthError`: stops the node, every item would fail),
a missing key or an unknown provider (stop the node).
"""

from __future__ import annotations

import asyncio
import os
import random
import re

from .errors import (
    LLMAuthError,
    LLMBadReply,
    LLMConnectionError,
    LLMError,
    LLMItemError,
    LLMRateLimited,
    LLMServerError,
    LLMTimeout,
    MissingAPIKey,
    UnknownModel,
)

BACKOFF_CAP_S = 30.0

_RETRYABLE = ("RateLimitError", "Timeout", "APIConnectionError", "InternalServerError", "ServiceUnavailableError",
              "BadGatewayError", "APITimeoutError", "TimeoutError", "MalformedReply", "JSONDecodeError",
              "APIResponseValidationError")
_NOT_RETRYABLE = ("ContextWindowExceededError", "ContentPolicyViolationError", "BadRequestError",
                  "AuthenticationError", "PermissionDeniedError", "NotFoundError", "UnprocessableEntityError")
# Some providers report a refused connection as a server error: recognise it by its message.
_CONNECT = re.compile(r"Cannot connect to host|Connection refused|Connect call failed|Name or service not known|"
                      r"nodename nor servname", re.IGNORECASE)
_ITEM = ("ContextWindowExceededError", "ContentPolicyViolationError", "BadRequestError",
         "UnprocessableEntityError", "JSONSchemaValidationError", "UnsupportedParamsError")


class MalformedReply(Exception):
    """A reply that arrived but is not a reply (no choices, no vectors): retried, then an `LLMBadReply`."""


def _names(exc: BaseException) -> set[str]:
    return {c.__name__ for c in type(exc).__mro__}


def is_retryable(exc: BaseException) -> bool:
    names = _names(exc)
    if any(n in names for n in _NOT_RETRYABLE):
        return False
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and status in (400, 401, 403, 404, 422):
        return False
    return isinstance(exc, asyncio.TimeoutError) or any(n in names for n in _RETRYABLE) \
        or (isinstance(status, int) and (status == 429 or status >= 500))


def backoff_delay(attempt: int, base_s: float) -> float:
    """Seconds to wait before retry number `attempt` (0-based): base * 2^attempt, capped, with jitter."""
    return min(BACKOFF_CAP_S, base_s * (2 ** attempt)) * random.uniform(0.5, 1.0)


def short_message(exc: BaseException, limit: int = 240) -> str:
    text = str(exc).strip() or type(exc).__name__
    text = re.sub(r"^(litellm\.)?\w+(Error|Exception|Timeout)?:\s*", "", text.splitlines()[0] if text else "")
    text = re.sub(r"^(litellm\.)?\w+(Error|Exception):\s*", "", text)
    text = re.sub(r"\s*ssl:<[^>]*>", "", text)
    return text[:limit] + ("..." if len(text) > limit else "")


def to_gateway_error(exc: BaseException, model: str, attempts: int, timeout: float,
                     api_base: str | None = None) -> LLMError:
    """The one-line error a user sees for a failed call (after retries where they apply)."""
    if isinstance(exc, LLMError):
        return exc
    names = _names(exc)
    msg = short_message(exc)
    tries = f" ({attempts} attempt{'s' if attempts != 1 else ''})"
    if isinstance(exc, MalformedReply) or "JSONDecodeError" in names or "APIResponseValidationError" in names:
        return LLMBadReply(f"model {model} sent a malformed reply{tries}: {msg}")
    if isinstance(exc, asyncio.TimeoutError) or "Timeout" in names or "APITimeoutError" in names:
        return LLMTimeout(f"model {model} did not answer within {timeout:g}s{tries}; raise --llm-timeout or "
                          "settings.llm.timeout")
    if "RateLimitError" in names:
        return LLMRateLimited(f"model {model} is rate-limited{tries}: {msg}; lower --llm-concurrency or "
                              "settings.llm.per_model_concurrency")
    if "APIConnectionError" in names or _CONNECT.search(str(exc)):
        where = f" at {api_base}" if api_base else ""
        return LLMConnectionError(f"cannot reach the server for model {model}{where}{tries}: {msg} "
                                  "(is the server running and the address right?)")
    status = getattr(exc, "status_code", None)
    if "AuthenticationError" in names or "PermissionDeniedError" in names or status in (401, 403):
        return LLMAuthError(f"authentication failed for model {model}: {msg} (check the API key)")
    if status == 404 or "NotFoundError" in names:  # this request's route or model: not retried, one item
        return LLMItemError(f"model {model} was not found by the server (404): {msg}")
    if "LiteLLMUnknownProvider" in names or "provider not provided" in msg.lower() \
            or "llm provider not provided" in str(exc).lower():
        return UnknownModel(f"unknown model '{model}': {msg} (model strings look like provider/name, "
                            "e.g. openai/gpt-4o-mini, ollama/llama3.1, fake/test, local/smollm2)")
    if any(n in names for n in _ITEM):
        return LLMItemError(f"model {model} refused the request: {msg}")
    if any(n in names for n in ("InternalServerError", "ServiceUnavailableError", "BadGatewayError", "APIError")):
        return LLMServerError(f"model {model} failed with a server error{tries}: {msg}")
    return LLMError(f"call to model {model} failed: {type(exc).__name__}: {msg}")


def missing_key_error(model: str, params: dict) -> MissingAPIKey | None:
    """Checks, before the first call to a model, that its provider's API key variable is set."""
    from .backend import get_litellm, is_custom

    if is_custom(model) or params.get("api_key") or params.get("api_base"):
        return None
    try:
        env = get_litellm().validate_environment(model)
    except Exception:  # an unknown provider is reported by the call itself
        return None
    missing = [k for k in env.get("missing_keys", []) if re.search(r"(KEY|TOKEN|SECRET)", k) and not os.environ.get(k)]
    if not missing:
        return None
    names = " and ".join(missing)
    return MissingAPIKey(f"{names} is not set for model {model} (export it, or pass api_key: ${{env:NAME}} in "
                         "the node's params)")
