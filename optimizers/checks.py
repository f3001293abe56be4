"""Checks a study makes before its first trial: provider API keys of the models the trials would call."""

from __future__ import annotations

from typing import Any

MODEL_PARAMS = ("model", "embedder", "generator", "judge", "llm")


def model_strings(graph: Any) -> list[tuple[str, str, dict]]:
    """(node, model string, node params) of every hosted-looking model a node names (`provider/name`)."""
    out = []
    for name, node in graph.nodes.items():
        params = node.display_params or {}
        for key, value in params.items():
            if any(word in key.lower() for word in MODEL_PARAMS) and isinstance(value, str) and "/" in value \
                    and "${" not in value and " " not in value:
                out.append((name, value, params))
    return out


def missing_keys(graph: Any) -> list[str]:
    """One message per model whose provider's API key variable is not set (none for local/fake models)."""
    from pipec.compiler.llm.failures import missing_key_error

    seen, out = set(), []
    for node, model, params in model_strings(graph):
        if model in seen:
            continue
        seen.add(model)
        problem = missing_key_error(model, params)
        if problem is not None:
            out.append(f"node '{node}': {problem}")
    return out
