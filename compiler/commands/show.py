"""`pipe show RUN`: one run's nodes, timings, cache hits, metrics and outputs."""

from __future__ import annotations

from .common import add_store_option


def add_arguments(parser):
    parser.add_argument("run_id", metavar="RUN", help="run id (a unique prefix is enough); 'last' for the newest")
    add_store_option(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from ..errors import UsageError
    from ..store.readonly import open_store_readonly

    store = open_store_readonly(args.store)  # a read: never creates a store
    if args.run_id == "last":
        runs = store.list_runs(1)
        run_row = runs[0] if runs else None
    else:
        run_row = store.get_run(args.run_id)
    if run_row is None:
        raise UsageError(f"no run '{args.run_id}' in {args.store} (see 'pipe runs')")
    nodes = store.node_runs(run_row["id"])
    if args.json:
        from ..json_views import dumps, record_json

        print(dumps({"run": record_json(run_row), "nodes": [record_json(n) for n in nodes],
                     "metrics": [record_json(m) for m in store.run_metrics(run_row["id"])]}))
        return 0
    console = Console()
    console.print(f"[bold]run {run_row['id']}[/] {run_row['graph_name']} ({run_row['graph_file']}): "
                  f"{run_row['status']} in {run_row['duration_s'] or 0:.2f}s", highlight=False)
    if run_row["error"]:
        console.print(f"[red]error:[/] {run_row['error']}", highlight=False)
    table = Table()
    for col in ("node", "op", "status", "time", "items", "output"):
        table.add_column(col, overflow="fold")
    for n in nodes:
        items = f"{n['items_done']}/{n['items_total']}" if n["items_total"] else ""
        output = n["error"] if n["status"] == "failed" else (n["output_preview"] or "")
        table.add_row(n["node"], n["op"], n["status"], f"{n['duration_s'] or 0:.3f}s", items, output[:120])
    console.print(table)
    metrics = store.run_metrics(run_row["id"])
    if metrics:
        mt = Table(title="metrics", title_justify="left")
        for col in ("node", "metric", "value"):
            mt.add_column(col)
        for m in metrics:
            mt.add_row(m["node"], m["name"], f"{m['value']:.4f}")
        console.print(mt)
    return 0
