"""Short human previews and JSON-friendly forms of node outputs (for the store, `--json` and the TUI)."""

from __future__ import annotations

import dataclasses
from typing import Any

PREVIEW_CHARS = 400


def to_jsonable(value: Any, limit: int | None = None, depth: int = 0) -> Any:
    """A JSON-friendly copy of a value; lists longer than `limit` are cut (with a note of the full length)."""
    if depth > 12:
        return repr(value)[:200]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump(mode="json"), limit, depth + 1)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value), limit, depth + 1)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v, limit, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
        if limit is not None and len(items) > limit:
            return [to_jsonable(v, limit, depth + 1) for v in items[:limit]] + [f"... {len(items) - limit} more"]
        return [to_jsonable(v, limit, depth + 1) for v in items]
    if hasattr(value, "to_json"):
        return to_jsonable(value.to_json(), limit, depth + 1)
    if hasattr(value, "tolist") and getattr(value, "size", 10**9) <= 10_000:
        return value.tolist()
    if hasattr(value, "shape"):
        return f"<{type(value).__name__} shape={tuple(value.shape)}>"
    return repr(value)[:PREVIEW_CHARS]


def describe(value: Any) -> str:
    """One line: type, size and a glimpse of the first element."""
    if hasattr(value, "describe") and callable(value.describe):
        return str(value.describe())
    if isinstance(value, (list, tuple)):
        first = f"; first: {_short(value[0])}" if value else ""
        inner = type(value[0]).__name__ if value else ""
        return f"{type(value).__name__}[{inner}] x {len(value)}{first}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_short(v, 40)}" for k, v in list(value.items())[:8]) + "}"
    if hasattr(value, "shape"):
        return f"{type(value).__name__} shape={tuple(value.shape)}"
    return _short(value)


def _short(value: Any, n: int = 160) -> str:
    text = repr(to_jsonable(value, limit=3)) if not isinstance(value, str) else repr(value)
    return text if len(text) <= n else text[: n - 3] + "..."


def preview_outputs(outputs: dict[str, Any]) -> str:
    text = "; ".join(f"{port}: {describe(v)}" for port, v in outputs.items())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 3] + "..."
