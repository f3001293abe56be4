"""The DAG of a run as a tree: each node under its first input, other inputs named in its label.

Labels show status (an icon: ✔ succeeded, ◆ cached, ▶ running, ✘ failed; a word when not a success), time,
progress and LLM call count, and update in place when the run moves on (no collapse, no cursor jump).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Tree

from ..data import fmt
from ..data.dag import spanning_tree

ICONS = {"succeeded": ("✔", "green"), "cached": ("◆", "cyan"), "running": ("▶", "yellow"),
         "pending": ("·", "grey50"), "failed": ("✘", "red"), "skipped": ("-", "grey50"),
         "interrupted": ("■", "magenta")}


def node_label(row: dict[str, Any], other_parents: list[str], llm_calls: int) -> Text:
    icon, color = ICONS.get(row["status"], ("?", "white"))
    text = Text()
    text.append(f"{icon} ", style=color)
    text.append(row["node"], style="bold")
    if row["status"] not in ("succeeded", "cached"):  # the icon says it; other states are worth a word
        text.append(f" {row['status']}", style=color)
    if row["status"] == "cached":
        text.append(" cached", style="cyan")
    elif row.get("duration_s") is not None:
        text.append(f" {fmt.seconds(row['duration_s'])}")
    if row.get("items_total"):
        text.append(f" {row.get('items_done') or 0}/{row['items_total']}", style="grey70")
    if llm_calls:
        text.append(f" llm:{llm_calls}", style="magenta")
    if other_parents:
        text.append(f" ← {', '.join(other_parents)}", style="grey50")
    return text


class DagTree(Tree):
    def __init__(self, **kwargs: Any):
        super().__init__("run", **kwargs)
        self.show_root = False
        self.guide_depth = 2
        self._dag_nodes: dict[str, Any] = {}
        self._shape: tuple = ()

    def show(self, title: str, node_rows: list[dict], parent_map: dict[str, list[str]],
             llm_counts: dict[str, int]) -> None:
        order = [r["node"] for r in node_rows]
        shape = (tuple(order), tuple((k, tuple(v)) for k, v in sorted(parent_map.items())))
        rows = {r["node"]: r for r in node_rows}
        if shape == self._shape:
            for name, tree_node in self._dag_nodes.items():
                tree_node.set_label(self._label(rows[name], parent_map, llm_counts))
            return
        self._shape = shape
        self.clear()
        self.root.set_label(title)
        self._dag_nodes = {}
        children = spanning_tree(order, parent_map)

        def add(parent_name: str | None, parent_node: Any) -> None:
            for name in children.get(parent_name, []):
                node = parent_node.add(self._label(rows[name], parent_map, llm_counts), data=name,
                                       expand=True, allow_expand=bool(children.get(name)))
                self._dag_nodes[name] = node
                add(name, node)

        add(None, self.root)
        self.root.expand()
        if self._dag_nodes:
            self.move_cursor(next(iter(self._dag_nodes.values())))

    def _label(self, row: dict, parent_map: dict[str, list[str]], llm_counts: dict[str, int]) -> Text:
        parents = parent_map.get(row["node"], [])
        return node_label(row, parents[1:], llm_counts.get(row["node"], 0))

    def selected_node(self) -> str | None:
        node = self.cursor_node
        return node.data if node is not None else None
