"""`pipe study show NAME|last` and `pipe study export NAME --out best.yaml | --csv trials.csv`: one study from
the store, without running anything."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from .common import add_store_option

EPILOG = """examples:
  pipe study show last                       # trials, Pareto front, validation result of the newest study
  pipe study show rag1 --json                # the same as one JSON object
  pipe study export rag1 --out best.yaml     # the best config as a runnable graph
  pipe study export rag1 --csv trials.csv    # one row per trial: config, objective values, totals"""


def add_arguments(parser):
    import argparse

    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = sub.add_parser("show", help="the study's trials, front and validation result")
    show.add_argument("name", help="study name, or `last` for the newest")
    add_store_option(show)
    show.add_argument("--json", action="store_true", help="print one JSON object")
    export = sub.add_parser("export", help="write the best config (--out) or the trials table (--csv)")
    export.add_argument("name", help="study name, or `last` for the newest")
    add_store_option(export)
    export.add_argument("--out", metavar="FILE", help="the best config as a runnable YAML graph")
    export.add_argument("--csv", metavar="FILE", help="the trials as CSV")
    export.add_argument("--json", action="store_true", help="print what was written as a JSON object")


def run(args) -> int:
    from pipec.optimizers.stored import load_study

    from ..errors import UsageError
    from .studies import open_existing_store

    store = open_existing_store(args.store)
    try:
        study = load_study(store, args.name)
    finally:
        store.close()
    if args.action == "show":
        return show(study, args.json)
    if not args.out and not args.csv:
        raise UsageError("pipe study export needs --out FILE and/or --csv FILE")
    return export(study, args)


def show(study, as_json: bool) -> int:
    from pipec.optimizers.command import study_json
    from pipec.optimizers.report import print_front, print_report, print_validation
    from pipec.optimizers.study import best_trial

    best = best_trial(study.spec, study.history.trials)
    if as_json:
        data = study_json(study, best)
        data["graph_file"] = study.row.get("graph_file")
        print(json.dumps(data, indent=2, default=str))
        return 0
    print_report(study, best, effects_table=False)
    print_front(study)
    print_validation(study)
    print(f"study {study.name}: {study.status}" + (f" ({study.stop_reason})" if study.stop_reason else ""),
          file=sys.stderr)
    return 0


def export(study, args) -> int:
    from pipec.optimizers.report import best_yaml, short
    from pipec.optimizers.study import best_trial

    from ..errors import UsageError

    written = {}
    if args.out:
        best = best_trial(study.spec, study.history.trials)
        if best is None:
            raise UsageError(f"study {study.name} has no complete trial: no config to export")
        graph_file = study.settings.get("graph_file") or study.row.get("graph_file") or ""
        if not Path(graph_file).exists():
            raise UsageError(f"the study's graph {graph_file} is gone; the config is: {json.dumps(best.config)}")
        overrides = [o if isinstance(o, str) else (o["path"].split("."), o["value"])
                     for o in study.settings.get("overrides") or []]
        overrides += [(p.split("."), v) for p, v in best.config.items()]
        header = (f"best config of study '{study.name}' (trial {best.number}: {study.spec.main.metric} = "
                  f"{short(best.value)}), written by pipe study export from {graph_file}")
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(best_yaml(graph_file, overrides, args.out, header), encoding="utf-8")
        written["out"] = {"path": args.out, "trial": best.number, "config": best.config}
    if args.csv:
        written["csv"] = {"path": args.csv, "rows": write_csv(study, Path(args.csv))}
    if args.json:
        print(json.dumps({"study": study.name, **written}, indent=2, default=str))
    else:
        for info in written.values():
            print(f"wrote {info['path']}", file=sys.stderr)
    return 0


def write_csv(study, path: Path) -> int:
    from pipec.optimizers.study import value_of

    params = list(study.space.params)
    metrics = [o.metric for o in study.spec.all_objectives]
    header = ["number", "state", *params, "budget", *metrics, "cost_usd", "duration_s", "cache_hits", "error",
              "note"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for t in study.history.trials:
            writer.writerow([t.number, t.state, *(_cell(t.config.get(p)) for p in params), _cell(t.budget),
                             *(_cell(value_of(t, m)) for m in metrics), t.totals.get("cost_usd"),
                             t.totals.get("duration_s"), t.totals.get("cache_hits"), t.error or "", t.note or ""])
    return len(study.history.trials)


def _cell(value):
    if value is None:
        return ""
    return json.dumps(value) if isinstance(value, (list, dict)) else value
