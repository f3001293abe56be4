"""What a call costs: the price of a reply (litellm's price map) and, before sending, an upper estimate that
the budget reserves (prompt tokens x input price + max_tokens x output price)."""

from __future__ import annotations

import functools
from typing import Any

# When a request sets no max_tokens and litellm does not know the model's output limit.
DEFAULT_MAX_OUTPUT_TOKENS = 4096


def reply_cost(model: str, raw: Any, kind: str = "chat") -> float | None:
    """USD of one reply, or None when the model's price is unknown."""
    from .backend import get_litellm

    hidden = getattr(raw, "_hidden_params", None) or {}
    if kind == "chat" and "response_cost" in hidden:  # litellm already priced it (None: unknown price)
        return None if hidden["response_cost"] is None else float(hidden["response_cost"])
    try:
        call_type = "embedding" if kind == "embed" else "completion"
        return float(get_litellm().completion_cost(completion_response=raw, model=model, call_type=call_type))
    except Exception:  # litellm does not know this model's price
        return None


@functools.lru_cache(maxsize=256)
def _prices(model: str) -> tuple[float, float, int | None]:
    """(input USD/token, output USD/token, max output tokens) from litellm's price map; zeros when unknown."""
    from .backend import get_litellm, is_custom

    if is_custom(model):
        return 0.0, 0.0, None
    try:
        info = get_litellm().get_model_info(model)
    except Exception:
        return 0.0, 0.0, None
    return (float(info.get("input_cost_per_token") or 0.0), float(info.get("output_cost_per_token") or 0.0),
            info.get("max_output_tokens") or info.get("max_tokens"))


def estimate_cost(model: str, messages: Any, params: dict[str, Any], kind: str = "chat") -> float:
    """An upper estimate of a request's cost, reserved against `--max-usd` before it is sent (0.0 when the
    model's price is unknown: such calls count against `--max-calls` only)."""
    from .backend import get_litellm

    price_in, price_out, max_out = _prices(model)
    if not price_in and not price_out:
        return 0.0
    litellm = get_litellm()
    try:
        if kind == "embed":
            prompt = sum(litellm.token_counter(model=model, text=str(t)) for t in messages)
        else:
            prompt = litellm.token_counter(model=model, messages=messages)
    except Exception:  # a tokenizer that cannot count these messages: count characters / 3
        prompt = sum(len(str(m)) for m in messages) // 3 + 1
    if kind == "embed":
        return prompt * price_in
    completion = params.get("max_tokens") or params.get("max_completion_tokens") or max_out \
        or DEFAULT_MAX_OUTPUT_TOKENS
    return prompt * price_in + int(completion) * price_out
