"""One run: its DAG with live node status, and the selected node's details, example rows and LLM calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Input, Static, TabbedContent, TabPane, Tree

from ..data import fmt
from ..data.dag import parents
from ..widgets.dag_tree import DagTree
from ..widgets.node_info import NodeInfo
from ..widgets.paged_table import PagedTable
from .base import DataScreen
from .detail import DetailScreen

# response / error early: beside the DAG at 100 columns the pane shows ~60, the rest scrolls sideways (→)
LLM_COLUMNS = ["id", "item", "response / error", "tokens", "cost", "latency", "cache", "model", "node"]


@dataclass
class RunData:
    run: dict[str, Any]
    nodes: list[dict[str, Any]]
    parent_map: dict[str, list[str]]
    metrics: list[dict[str, Any]]
    llm_counts: dict[str, int] = field(default_factory=dict)
    item_counts: dict[str, int] = field(default_factory=dict)


def read_run(reader, run_id: str) -> RunData | None:
    run = reader.run(run_id)
    if run is None:
        return None
    nodes = reader.node_runs(run_id)
    return RunData(run, nodes, parents(fmt.loads(run["config_json"], {})), reader.node_metrics(run_id),
                   reader.llm_counts(run_id), reader.item_counts(sorted({n["cache_key"] for n in nodes})))


def run_summary(run: dict[str, Any]) -> Text:
    text = Text()
    text.append(f"{run['graph_name']}", style="bold")
    text.append(f"  {run['status']}", style="green" if run["status"] == "succeeded" else "yellow")
    text.append(f"  started {fmt.when(run['started_at'])}  took {fmt.seconds(run['duration_s'])}"
                f"  cached {run['nodes_cached']}/{run['nodes_total']}  llm {run['llm_calls']}"
                f"  {fmt.usd(run['cost_usd'])}")
    text.append(f"\nrun {run['id']}", style="grey62")
    metrics = fmt.flat_metrics(run.get("metrics_json"))
    if metrics:
        text.append("  " + fmt.headline(metrics, 6))
    if run.get("error"):
        text.append(f"\n{run['error']}", style="red")
    return text


def llm_row(r: dict[str, Any], columns: list[str] | None = None) -> list[Any]:
    tokens = f"{r['prompt_tokens'] or 0}+{r['completion_tokens'] or 0}"
    last = Text(fmt.short(r["error"], 40), style="red") if r["error"] else fmt.short(r["response"] or "", 40)
    return [str(r["id"]), fmt.short(r["item"] or "-", 16), last, tokens, fmt.usd(r["cost_usd"]),
            fmt.seconds(r["latency_s"]), "hit" if r["cache_hit"] else "", fmt.short(r["model"], 24), r["node"] or "-"]


def call_text(call: dict[str, Any]) -> str:
    head = [f"model: {call['model']}", f"node: {call['node']}  item: {call['item'] or '-'}",
            f"tokens: {call['prompt_tokens'] or 0} prompt + {call['completion_tokens'] or 0} completion",
            f"cost: {fmt.usd(call['cost_usd'])}  latency: {fmt.seconds(call['latency_s'])}"
            f"  cache hit: {'yes' if call['cache_hit'] else 'no'}"]
    if call.get("params_json"):
        head.append(f"params: {call['params_json']}")
    if call.get("error"):
        head.append(f"error: {call['error']}")
    return "\n".join(head) + "\n\n--- messages ---\n" + fmt.messages_text(call["messages_json"]) + \
        "\n\n--- response ---\n" + (call.get("response") or "(none)")


class RunScreen(DataScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("1", "tab('node')", "Node"),
        Binding("2", "tab('items')", "Examples"),
        Binding("3", "tab('llm')", "LLM calls"),
        Binding("slash", "search", "Search"),
        Binding("a", "all_calls", "All calls", show=False),
        Binding("g", "picture", "Graph picture", show=False),
    ]

    def __init__(self, run_id: str):
        super().__init__()
        self.run_id = run_id
        self.data: RunData | None = None
        self.node: str | None = None
        self.all_llm = False
        self._search_timer = None

    def compose(self) -> ComposeResult:
        yield Static("loading…", id="run-summary")
        with Horizontal(id="run-body"):
            yield DagTree(id="dag")
            with TabbedContent(id="run-tabs", initial="node"):
                with TabPane("Node", id="node"):
                    with VerticalScroll(id="node-scroll"):
                        yield NodeInfo("select a node", id="node-info")
                with TabPane("Examples", id="items"):
                    with Vertical():
                        yield Input(placeholder="search examples (/)", id="items-search", classes="search")
                        yield PagedTable(id="items-table", empty_text="no per-example rows for this node")
                with TabPane("LLM calls", id="llm"):
                    with Vertical():
                        yield Input(placeholder="search LLM calls: text, model, error (/)", id="llm-search",
                                    classes="search")
                        yield PagedTable(id="llm-table", empty_text="no LLM calls from this node")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#dag").focus()
        super().on_mount()

    # --- data -----------------------------------------------------------------------------------------------
    def read(self, reader) -> RunData | None:
        return read_run(reader, self.run_id)

    def show(self, what: str, data: Any) -> None:
        if what == "call":
            if data is not None:
                self.app.push_screen(DetailScreen(f"LLM call {data['id']}", call_text(data)))
            return
        if data is None:
            self.query_one("#run-summary", Static).update(f"run {self.run_id} is not in the store")
            return
        first = self.data is None
        self.data = data
        self.query_one("#run-summary", Static).update(run_summary(data.run))
        self.query_one(DagTree).show(data.run["graph_name"], data.nodes, data.parent_map, data.llm_counts)
        if first:
            self.select_node(data.nodes[0]["node"] if data.nodes else None)
        else:
            self._show_node_info()
            if data.run["status"] == "running":
                self.query_one("#items-table", PagedTable).reload()
                self.query_one("#llm-table", PagedTable).reload()

    def node_row(self, name: str | None) -> dict[str, Any] | None:
        if self.data is None:
            return None
        return next((n for n in self.data.nodes if n["node"] == name), None)

    def select_node(self, name: str | None) -> None:
        if name == self.node and self.data is not None and name is not None:
            return
        self.node = name
        self._show_node_info()
        row = self.node_row(name)
        items = self.query_one("#items-table", PagedTable)
        key = row["cache_key"] if row else None
        items.configure((lambda o, n, s: self.app.reader.items_page(key, o, n, s)) if key else None,
                        render=lambda r, columns: [fmt.cell(r.get(c)) for c in columns], columns=fmt.item_columns)
        self._configure_llm()

    def _configure_llm(self) -> None:
        node = None if self.all_llm else self.node
        run_id = self.run_id
        self.query_one("#llm-table", PagedTable).configure(
            lambda o, n, s: self.app.reader.llm_page(run_id, node, o, n, s), render=llm_row,
            columns=lambda rows: LLM_COLUMNS)

    def _show_node_info(self) -> None:
        row = self.node_row(self.node)
        data = self.data
        if data is None:
            return
        inputs = [r for p in data.parent_map.get(self.node or "", []) if (r := self.node_row(p))]
        metrics = [m for m in data.metrics if m["node"] == self.node]
        self.query_one(NodeInfo).show_node(row, inputs, metrics, data.llm_counts.get(self.node or "", 0),
                                           data.item_counts.get(row["cache_key"], 0) if row else 0)

    # --- events ---------------------------------------------------------------------------------------------
    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        if event.node.data is not None:
            self.select_node(event.node.data)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        table = event.data_table
        if not isinstance(table, PagedTable) or table.current() is None:
            return
        row = table.current()
        if table.id == "items-table":
            self.app.push_screen(DetailScreen(f"{self.node} · example {row.get('#')}", fmt.detail(row)))
        else:
            call_id = row["id"]
            self.read_async("call", lambda reader: reader.llm_call(call_id))

    def on_input_changed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        target = "#items-table" if event.input.id == "items-search" else "#llm-table"
        value = event.value
        self._search_timer = self.set_timer(0.25, lambda: self.query_one(target, PagedTable).load(0, value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#items-table" if event.input.id == "items-search" else "#llm-table").focus()

    # --- actions --------------------------------------------------------------------------------------------
    def action_tab(self, tab: str) -> None:
        self.query_one("#run-tabs", TabbedContent).active = tab
        target = {"node": "#node-scroll", "items": "#items-table", "llm": "#llm-table"}[tab]
        self.query_one(target).focus()

    def action_search(self) -> None:
        tabs = self.query_one("#run-tabs", TabbedContent)
        if tabs.active == "node":
            tabs.active = "llm"
        self.query_one("#items-search" if tabs.active == "items" else "#llm-search").focus()

    def action_picture(self) -> None:
        """The run's DAG as `pipe graph --format text --run` draws it: layers, the static/per-request split,
        each node's status and time (`pipe graph G.yaml --run RUN --out g.svg` writes the picture)."""
        from pipec.compiler.pictures import config_text

        if self.data is None:
            return
        text = config_text(fmt.loads(self.data.run["config_json"], {}), self.data.nodes)
        hint = f"\n\nas a picture: pipe graph {self.data.run['graph_file']} --run {self.run_id} --out graph.svg"
        self.app.push_screen(DetailScreen(f"graph of run {self.run_id}", text + hint))

    def action_all_calls(self) -> None:
        """Toggle between the selected node's LLM calls and all the run's calls."""
        self.all_llm = not self.all_llm
        self._configure_llm()
