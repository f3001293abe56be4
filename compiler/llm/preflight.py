"""Before any run: can each LLM model string of a graph be routed, and is its provider's API key set?

`pipe validate` prints a warning per problem (the graph still compiles: a key may be set only where it runs);
the gateway checks the key again before a node's first call and fails the node at once, naming the provider
and the variable (compiler/llm/failures.py: missing_key_error). litellm is imported only when the graph names
a model outside our own providers (fake/..., local/...), so validating an offline graph stays instant.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

_KEY_NAME = re.compile(r"(KEY|TOKEN|SECRET)")


@dataclass(frozen=True)
class ModelWarning:
    node: str
    param: str
    model: str
    message: str


def model_params(graph: Any) -> list[tuple[str, str, str, dict]]:
    """(node, param, model string, node params) of every litellm model a node's parameters name."""
    out = []
    for name, node in graph.nodes.items():
        params = getattr(node, "params", None)
        if params is None:
            continue
        for field, info in type(params).model_fields.items():
            value = getattr(params, field, None)
            if (field == "model" or field.endswith("_model")) and isinstance(value, str) and "/" in value \
                    and "litellm" in (info.description or ""):
                out.append((name, field, value.strip(), params.model_dump()))
    return out


def check_model(model: str, params: dict | None = None) -> str | None:
    """A one-line problem of one model string, or None: unroutable, or its API key variable is not set."""
    from .backend import get_litellm, is_custom, provider_of

    params = params or {}
    if is_custom(model):
        return None
    if (fast := missing_key_fast(model, params)) is not None and "unknown provider" in str(fast):
        return str(fast).removeprefix("unknown ")  # known without importing litellm
    litellm = get_litellm()
    try:
        _, provider, _, _ = litellm.get_llm_provider(model)
    except Exception:
        return (f"model '{model}': litellm cannot route it (unknown provider '{provider_of(model)}'); model strings "
                "look like provider/name, e.g. openai/gpt-4o-mini, ollama/llama3.1, fake/test, local/smollm2")
    if params.get("api_key") or params.get("api_base"):
        return None
    try:
        env = litellm.validate_environment(model)
    except Exception:
        return None
    missing = [k for k in env.get("missing_keys", []) if _KEY_NAME.search(k) and not os.environ.get(k)]
    if missing:
        names = " and ".join(missing)
        return (f"model '{model}' (provider {provider}) needs {names}, which is not set: the node would fail at "
                f"once; export {names}=... before running")
    return None


def graph_warnings(graph: Any) -> list[ModelWarning]:
    seen: dict[str, str | None] = {}
    out = []
    for node, param, model, params in model_params(graph):
        key = model if not (params.get("api_key") or params.get("api_base")) else f"{model}\0custom"
        if key not in seen:
            seen[key] = check_model(model, params)
        if seen[key]:
            out.append(ModelWarning(node, param, model, seen[key]))
    return out


# The key variable of common hosted providers, known without importing litellm (seconds on a cold start): a
# node of such a model fails at once when it is not set. Other providers are checked through litellm.
KEY_VARIABLES = {
    "openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "gemini": "GEMINI_API_KEY",
    "mistral": "MISTRAL_API_KEY", "groq": "GROQ_API_KEY", "cohere": "COHERE_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY", "openrouter": "OPENROUTER_API_KEY", "xai": "XAI_API_KEY",
    "together_ai": "TOGETHERAI_API_KEY", "fireworks_ai": "FIREWORKS_AI_API_KEY", "perplexity": "PERPLEXITYAI_API_KEY",
}


def missing_key_fast(model: str, params: dict) -> Exception | None:
    """At node start, before litellm is imported: a provider litellm does not know, or the provider's key
    variable is not set (None: fine, or only litellm can tell)."""
    from .backend import is_custom
    from .errors import MissingAPIKey, UnknownModel
    from .providers import LITELLM_PROVIDERS

    provider = model.split("/", 1)[0] if "/" in model else ""
    if provider and not is_custom(model) and provider not in LITELLM_PROVIDERS:
        from ..errors import did_you_mean

        hint = did_you_mean(provider, sorted(LITELLM_PROVIDERS | {"fake", "local"}))
        return UnknownModel(f"unknown model '{model}': litellm cannot route it (unknown provider '{provider}'"
                            + (f"; {hint}" if hint else "") + "); model strings look like provider/name, e.g. "
                            "openai/gpt-4o-mini, ollama/llama3.1, fake/test, local/smollm2")
    var = KEY_VARIABLES.get(provider)
    if var is None or os.environ.get(var) or params.get("api_key") or params.get("api_base"):
        return None
    return MissingAPIKey(f"{var} is not set for model {model} (provider {provider}; export it, or pass api_key: "
                         "${env:NAME} in the node's params)")
