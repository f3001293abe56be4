"""Structured output: ask for JSON matching a pydantic model, parse it with repair, explain what is wrong.

Providers that support JSON schemas (OpenAI and others per litellm, plus our `fake/` and `local/` providers,
the latter grammar-constrained) get `response_format` with the schema; the others get the schema as an
instruction. Either way the reply is parsed leniently (code fences, surrounding prose, `json-repair`), then
validated; the gateway re-asks once with the error before giving up on the item.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ValidationError

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def json_schema(schema: type[BaseModel]) -> dict[str, Any]:
    return schema.model_json_schema()


def response_format(schema: type[BaseModel]) -> dict[str, Any]:
    return {"type": "json_schema",
            "json_schema": {"name": schema.__name__, "schema": json_schema(schema), "strict": False}}


def supports_schema(model: str) -> bool:
    from .backend import get_litellm, is_custom

    if is_custom(model):
        return True
    try:
        return bool(get_litellm().supports_response_schema(model))
    except Exception:
        return False


def schema_instruction(schema: type[BaseModel]) -> str:
    return ("Reply with a single JSON object only, no prose, matching this JSON schema:\n"
            + json.dumps(json_schema(schema), ensure_ascii=False))


def with_instruction(messages: list[dict[str, Any]], schema: type[BaseModel]) -> list[dict[str, Any]]:
    """The messages with the schema instruction added to the system message (or as a new one)."""
    instruction = schema_instruction(schema)
    if messages and messages[0].get("role") == "system" and isinstance(messages[0].get("content"), str):
        first = {**messages[0], "content": messages[0]["content"] + "\n\n" + instruction}
        return [first, *messages[1:]]
    return [{"role": "system", "content": instruction}, *messages]


def corrective_messages(messages: list[dict[str, Any]], reply: str, error: str,
                        schema: type[BaseModel]) -> list[dict[str, Any]]:
    return [*messages, {"role": "assistant", "content": reply},
            {"role": "user", "content": f"That reply is not valid: {error}\n{schema_instruction(schema)}"}]


def _candidates(text: str) -> list[str]:
    out = [text.strip()]
    fenced = _FENCE.search(text)
    if fenced:
        out.append(fenced.group(1).strip())
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        out.append(text[start:end + 1])
    return out


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"field '{where}': {err['msg']}")
    return "; ".join(parts)


def parse_structured(text: str, schema: type[BaseModel]) -> tuple[BaseModel | None, str | None]:
    """(instance, None) or (None, reason). Tries strict JSON first, then `json-repair`."""
    if not text or not text.strip():
        return None, "the reply is empty"
    error = "the reply is not JSON"
    for candidate in _candidates(text):
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        try:
            return schema.model_validate(data), None
        except ValidationError as exc:
            error = _describe(exc)
    import json_repair

    try:
        data = json_repair.loads(text)
    except Exception:  # json-repair gives up on some inputs
        return None, error
    if isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict):
        data = data[0]
    if not isinstance(data, dict) or not data:
        return None, error
    try:
        return schema.model_validate(data), None
    except ValidationError as exc:
        return None, _describe(exc)
