"""`pipe studies`: list the tuning studies in the store, newest first."""

from __future__ import annotations

import json
import sys

from .common import add_store_option


def add_arguments(parser):
    add_store_option(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON object {\"studies\": [...]}")


def run(args) -> int:
    from pipec.optimizers.records import list_studies
    from pipec.optimizers.stored import display_status, load_study
    from pipec.optimizers.study import best_trial

    store = open_existing_store(args.store)
    rows = []
    for r in list_studies(store):
        objective = json.loads(r.get("objective_json") or "{}")
        study = load_study(store, r["name"])
        top = best_trial(study.spec, study.history.trials)
        best = None if top is None else top.value
        rows.append({"name": r["name"], "id": r["id"], "graph": r["graph_name"], "graph_file": r.get("graph_file"),
                     "strategy": r["strategy"], "status": display_status(r), "trials": r.get("trials") or 0,
                     "complete": r.get("complete") or 0, "failed": r.get("failed") or 0,
                     "objective": objective.get("metric"), "direction": objective.get("direction"), "best": best,
                     "created_at": r["created_at"]})
    store.close()
    if args.json:
        print(json.dumps({"studies": rows}, indent=2))
        return 0
    if not rows:
        print(f"no studies in {args.store}", file=sys.stderr)
        return 0
    from pipec.optimizers.report import console, short
    from rich.table import Table

    table = Table()
    for col in ("study", "graph", "strategy", "trials", "failed", "objective", "best", "status"):
        table.add_column(col, justify="right" if col in ("trials", "failed", "best") else "left")
    for r in rows:
        table.add_row(r["name"], r["graph"], r["strategy"], str(r["complete"]), str(r["failed"]), r["objective"] or "",
                      "-" if r["best"] is None else short(r["best"]), r["status"])
    console().print(table)  # a wide page when piped: no crushed columns
    return 0


def open_existing_store(path: str):
    """The store at `path`, read-only; a usage error (exit 2) when there is none. A listing never creates,
    migrates or writes a store (the read-only view opens the database with mode=ro)."""
    from ..errors import UsageError
    from ..store.readonly import open_store_readonly, store_db_path

    if not store_db_path(path)[1].exists():
        raise UsageError(f"no run store at {path} (give --store PATH, or run pipe tune first)")
    return open_store_readonly(path)
