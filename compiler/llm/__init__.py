"""The LLM gateway (see docs/llm.md). Importing this package is cheap: litellm is imported on the first call.

    from pipec.compiler.llm import LLMResponse, StructuredResult, LLMError, LLMItemError
    from pipec.compiler.llm.fake import fake_script          # scripted `fake/...` models for tests
    from pipec.compiler.llm.templates import PromptTemplate  # jinja2 prompt templates
"""

import os as _os

# Before anything can import litellm: never fetch the price list from the internet.
_os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
_os.environ.setdefault("LITELLM_LOG", "ERROR")

from .errors import (  # noqa: E402
                     BudgetExceeded,
                     LLMAuthError,
                     LLMConnectionError,
                     LLMError,
                     LLMItemError,
                     LLMRateLimited,
                     LLMServerError,
                     LLMTimeout,
                     MissingAPIKey,
                     TemplateError,
                     UnknownModel,
)
from .types import LLMResponse, StructuredResult  # noqa: E402

__all__ = ["LLMResponse", "StructuredResult", "LLMError", "LLMItemError", "MissingAPIKey", "LLMConnectionError",
           "UnknownModel", "LLMAuthError", "LLMTimeout", "LLMRateLimited", "LLMServerError", "TemplateError",
           "BudgetExceeded"]
