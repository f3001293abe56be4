"""Plain-text formatting of store values for tables: times, durations, costs, metrics, generic cells.

Pure functions (no textual), so they are easy to test and safe to call from workers.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

CELL_CHARS = 60


def loads(text: str | None, default: Any = None) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return text


def when(ts: float | None) -> str:
    """Absolute local time (never relative, so a screen does not change while one looks at it)."""
    if ts is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 1:
        return f"{value * 1000:.0f}ms"
    if value < 120:
        return f"{value:.2f}s"
    minutes, secs = divmod(int(value), 60)
    return f"{minutes}m{secs:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


def usd(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0:
        return "$0"
    if value < 0.0001:
        return f"${value:.1e}"
    return f"${value:.4f}" if value < 1 else f"${value:.2f}"


def number(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.{digits}g}" if abs(value) < 1e-3 and value else f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return str(value)


def flat_metrics(metrics_json: str | None) -> dict[str, float]:
    """{node: {name: value}} from runs.metrics_json -> {name: value}, prefixed by node on a name clash."""
    nested = loads(metrics_json, {}) or {}
    flat: dict[str, float] = {}
    if not isinstance(nested, dict):
        return flat
    clashes: dict[str, int] = {}
    for values in nested.values():
        for name in values or {}:
            clashes[name] = clashes.get(name, 0) + 1
    for node, values in nested.items():
        for name, value in (values or {}).items():
            flat[f"{node}.{name}" if clashes[name] > 1 else name] = value
    return flat


def headline(metrics: dict[str, Any], n: int = 3) -> str:
    return " ".join(f"{k}={number(v, 3)}" for k, v in list(metrics.items())[:n])


def short(text: Any, n: int = CELL_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _score_of(hit: dict) -> Any:
    for key in ("score", "similarity", "distance", "rank"):
        if key in hit:
            return key, hit[key]
    return None, None


def _hit_text(hit: dict) -> str:
    for key in ("text", "content", "chunk", "title", "id", "doc_id"):
        if key in hit and hit[key] is not None:
            return str(hit[key])
    return json.dumps(hit, default=str, ensure_ascii=False)


def cell(value: Any, n: int = CELL_CHARS) -> str:
    """A one-line, generic rendering of any JSON value: lists of scored hits get a summary."""
    if value is None:
        return "-"
    if isinstance(value, (bool, int, float)):
        return number(value)
    if isinstance(value, str):
        return short(value, n)
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            key, top = _score_of(value[0])
            score = f" top {key}={number(top, 3)}" if key else ""
            return short(f"{len(value)} items{score}: {_hit_text(value[0])}", n)
        return short(", ".join(cell(v, 30) for v in value), n)
    if isinstance(value, dict):
        return short(", ".join(f"{k}={cell(v, 20)}" for k, v in value.items()), n)
    return short(value, n)


def detail(value: Any, indent: int = 0) -> str:
    """A multi-line, readable rendering of a JSON value (lists of hits numbered, with their score first)."""
    pad = "  " * indent
    if isinstance(value, dict):
        lines = []
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{k}:")
                lines.append(detail(v, indent + 1))
            else:
                lines.append(f"{pad}{k}: {'' if v is None else v if isinstance(v, str) else number(v)}")
        return "\n".join(lines)
    if isinstance(value, list):
        lines = []
        for i, v in enumerate(value, 1):
            if isinstance(v, dict):
                key, score = _score_of(v)
                head = f"{pad}[{i}]" + (f" {key}={number(score)}" if key else "")
                rest = {k: x for k, x in v.items() if k != key}
                lines.append(head)
                lines.append(detail(rest, indent + 2))
            else:
                lines.append(f"{pad}[{i}] {v if isinstance(v, str) else number(v)}")
        return "\n".join(lines)
    return f"{pad}{value}"


def item_columns(rows: list[dict[str, Any]], limit: int = 12) -> list[str]:
    """Keys of a page of per-example rows, in first-seen order."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)[:limit]


def messages_text(messages_json: str | None) -> str:
    """Chat messages as 'role: content' blocks."""
    messages = loads(messages_json, [])
    if not isinstance(messages, list):
        return str(messages)
    blocks = []
    for m in messages:
        if isinstance(m, dict):
            content = m.get("content")
            if isinstance(content, list):  # multi-part content
                content = "\n".join(str(p.get("text", p)) if isinstance(p, dict) else str(p) for p in content)
            blocks.append(f"[{m.get('role', '?')}]\n{content}")
        else:
            blocks.append(str(m))
    return "\n\n".join(blocks)


def uncanonical(value: Any) -> Any:
    """Undo canonical_json's float marker ({"__float__": "1.0"} -> 1.0) for display."""
    if isinstance(value, dict):
        if set(value) == {"__float__"}:
            try:
                return float(value["__float__"])
            except (TypeError, ValueError):
                return value
        return {k: uncanonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [uncanonical(v) for v in value]
    return value
