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
    """One message per model that every trial would fail on: its provider's API key variable is not set, or
    litellm cannot route it (the checks `pipe validate` warns with, compiler/llm/preflight.py)."""
    models = [m for m in model_strings(graph) if m[1].split("/", 1)[0] not in ("fake", "local")]
    if not models:
        return []  # offline graphs never import litellm here
    from pipec.compiler.llm.preflight import check_model

    seen, out = set(), []
    for node, model, params in models:
        if model in seen:
            continue
        seen.add(model)
        problem = check_model(model, params)
        if problem is not None:
            out.append(f"node '{node}': {problem}")
    return out
