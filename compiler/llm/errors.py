"""Errors of the LLM gateway. Each reaches the user as one clear line (no traceback).

- `LLMError` (a `PipeError`) stops the node: a missing API key, an unknown provider, a refused key (401/403),
  too many item errors (`settings.llm.max_item_errors`).
- `LLMItemError` is about one request only, after the retries where they apply: a rate limit, timeout, dropped
  connection or server error that persisted, an empty, malformed or schema-invalid reply, a refused request
  (400, 404, context window, content policy). The gateway records it on the node (`RunContext.item_failed`);
  ops catch it, keep an error for that item and go on with the others. A node with item errors succeeds, but
  its result is never memoized: the next run re-sends the failed items only (the others hit the cache).
- Budgets raise `pipec.compiler.errors.BudgetExceeded`, which the executor turns into a clean stop.
"""

from __future__ import annotations

from ..errors import BudgetExceeded, PipeError

__all__ = ["BudgetExceeded", "LLMError", "LLMItemError", "MissingAPIKey", "LLMConnectionError", "UnknownModel",
           "LLMAuthError", "LLMTimeout", "LLMRateLimited", "LLMServerError", "LLMBadReply", "TooManyItemErrors",
           "TemplateError"]


class LLMError(PipeError):
    """An LLM call failed in a way that stops the node."""


class LLMItemError(LLMError):
    """One request was refused (too long, content policy, malformed): a per-item error."""


class MissingAPIKey(LLMError):
    pass


class LLMConnectionError(LLMItemError):
    pass


class UnknownModel(LLMError):
    pass


class LLMAuthError(LLMError):
    pass


class LLMTimeout(LLMItemError):
    pass


class LLMRateLimited(LLMItemError):
    pass


class LLMServerError(LLMItemError):
    pass


class LLMBadReply(LLMItemError):
    """An empty, malformed or schema-invalid reply that re-asking within the retry budget did not fix."""


class TooManyItemErrors(LLMError):
    """More items failed than `settings.llm.max_item_errors` allows: the node fails."""


class TemplateError(PipeError):
    """A prompt template does not parse or does not render (names the template and the variable)."""

    exit_code = 2
