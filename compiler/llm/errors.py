"""Errors of the LLM gateway. Each reaches the user as one clear line (no traceback).

- `LLMError` (a `PipeError`) stops the node: missing API key, no server, unknown model, authentication,
  timeout or rate limit after all retries, a provider's server error.
- `LLMItemError` is about one request only (context window exceeded, content policy, bad request): ops
  catch it and record a per-item error, then go on with the other items.
- Budgets raise `pipec.compiler.errors.BudgetExceeded`, which the executor turns into a clean stop.
"""

from __future__ import annotations

from ..errors import BudgetExceeded, PipeError

__all__ = ["BudgetExceeded", "LLMError", "LLMItemError", "MissingAPIKey", "LLMConnectionError", "UnknownModel",
           "LLMAuthError", "LLMTimeout", "LLMRateLimited", "LLMServerError", "TemplateError"]


class LLMError(PipeError):
    """An LLM call failed in a way that stops the node."""


class LLMItemError(LLMError):
    """One request was refused (too long, content policy, malformed): a per-item error."""


class MissingAPIKey(LLMError):
    pass


class LLMConnectionError(LLMError):
    pass


class UnknownModel(LLMError):
    pass


class LLMAuthError(LLMError):
    pass


class LLMTimeout(LLMError):
    pass


class LLMRateLimited(LLMError):
    pass


class LLMServerError(LLMError):
    pass


class TemplateError(PipeError):
    """A prompt template does not parse or does not render (names the template and the variable)."""

    exit_code = 2
