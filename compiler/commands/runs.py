"""`pipe runs`: list runs in the store, newest first."""

from __future__ import annotations

import json
import time

from .common import add_store_option
from .ranges import POSITIVE_COUNT


def add_arguments(parser):
    add_store_option(parser)
    parser.add_argument("--limit", type=POSITIVE_COUNT, default=20, help="how many runs (default 20)")
    parser.add_argument("--served", action="store_true", help="only the requests answered by 'pipe serve'")
    parser.add_argument("--json", action="store_true", help="print JSON")


def headline(metrics_json: str | None, n: int = 2) -> str:
    if not metrics_json:
        return ""
    metrics = json.loads(metrics_json)
    parts = []
    for values in metrics.values():
        for name, value in values.items():
            parts.append(f"{name}={value:.3f}")
    return " ".join(parts[:n])


def run(args) -> int:
    from rich.console import Console
    from rich.table import Table

    from ..store.readonly import open_store_readonly

    store = open_store_readonly(args.store)  # a read: never creates a store
    runs = store.list_runs(args.limit)
    if args.served:  # served requests' run ids end in -req (pipec.compiler.inputs.new_request_id)
        runs = [r for r in store.list_runs(1_000_000) if r["id"].endswith("-req")][:args.limit]
    if args.json:
        from ..json_views import dumps, record_json

        print(dumps([record_json(r) for r in runs]))
        return 0
    if not runs:
        print(f"no runs in {args.store}")
        return 0
    table = Table()
    id_width = max(len(r["id"]) for r in runs)  # full ids, terminal or not
    for col in ("run", "graph", "status", "started", "time", "cached", "metrics"):
        table.add_column(col, no_wrap=col == "run", min_width=id_width if col == "run" else None)
    for r in runs:
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r["started_at"]))
        duration = f"{r['duration_s']:.2f}s" if r["duration_s"] is not None else "-"
        table.add_row(r["id"], r["graph_name"], r["status"], started, duration,
                      f"{r['nodes_cached']}/{r['nodes_total']}", headline(r["metrics_json"]))
    import sys

    Console(width=None if sys.stdout.isatty() else 220).print(table)  # not a terminal: no cut columns
    return 0
