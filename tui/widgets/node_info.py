"""What one node did: op, status, timing, cache key, inputs and output summary, metrics, params, error."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from ..data import fmt


def _params(params_json: str | None) -> str:
    params = fmt.uncanonical(fmt.loads(params_json, {}))
    if not params:
        return "(none)"
    return json.dumps(params, indent=2, ensure_ascii=False, default=str)


class NodeInfo(Static):
    def show_node(self, row: dict[str, Any] | None, inputs: list[dict[str, Any]], metrics: list[dict[str, Any]],
                  llm_calls: int, items: int) -> None:
        if row is None:
            self.update("select a node")
            return
        facts = Table.grid(padding=(0, 2))
        facts.add_column(style="bold")
        facts.add_column()
        facts.add_row("node", f"{row['node']}  (op {row['op']} v{row['op_version']})")
        status = row["status"] + ("  cache hit" if row["cache_hit"] else "")
        facts.add_row("status", status)
        facts.add_row("time", fmt.seconds(row["duration_s"]))
        if row.get("items_total") or row.get("items_done"):
            facts.add_row("progress", f"{row.get('items_done') or 0}/{row.get('items_total') or '?'}")
        facts.add_row("cache key", row["cache_key"][:16])
        facts.add_row("output", Text(row.get("output_preview") or "-"))
        if row.get("output_size") is not None:
            facts.add_row("size", f"{row['output_size']:,} bytes")
        facts.add_row("items", f"{items:,} per-example rows" if items else "-")
        facts.add_row("llm calls", f"{llm_calls:,}" if llm_calls else "-")
        parts: list[Any] = [facts]
        if row.get("error"):
            parts += [Text("\nerror", style="bold red"), Text(row["error"], style="red")]
        if inputs:
            parts.append(Text("\ninputs", style="bold"))
            for parent in inputs:
                parts.append(Text(f"  {parent['node']}: {parent.get('output_preview') or parent['status']}"))
        if metrics:
            parts.append(Text("\nmetrics", style="bold"))
            for m in metrics:
                port = "" if m["port"] == "metrics" else f"{m['port']}."
                parts.append(Text(f"  {port}{m['name']} = {fmt.number(m['value'])}"))
        parts += [Text("\nparams", style="bold"), Text(_params(row.get("params_json")))]
        self.update(Group(*parts))
