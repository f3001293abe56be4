"""`pipe export`: a graph with `--set` overrides applied, or a stored run's config, as a runnable YAML file;
the user's file is edited in place of re-dumped, so its comments and layout survive."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .common import add_store_option


def add_arguments(parser):
    parser.add_argument("source", metavar="GRAPH_OR_RUN", help="a pipeline YAML file, or a run id ('last' for the "
                                                                "newest run)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                        help="override a parameter, as for pipe run; repeatable")
    parser.add_argument("--out", metavar="FILE", help="write here (default: stdout)")
    add_store_option(parser)
    parser.add_argument("--json", action="store_true", help="print {file, graph, overrides, yaml} as JSON")


def _from_run(args):
    from ..errors import UsageError
    from ..export import dump_config, edit_yaml, run_overrides
    from .common import open_store

    store = open_store(args, readonly=True)
    try:
        row = store.list_runs(1)[0] if args.source == "last" and store.list_runs(1) else store.get_run(args.source)
        if row is None:
            raise UsageError(f"no run '{args.source}' in {args.store} (see 'pipe runs')")
        config = json.loads(row["config_json"]) if isinstance(row["config_json"], str) else row["config_json"]
        graph_file = Path(row["graph_file"])
    finally:
        store.close()
    if not graph_file.is_file():
        print(f"note: {graph_file} is gone; writing the stored config (no comments to keep)", file=sys.stderr)
        return str(graph_file), [], dump_config(config)
    overrides = run_overrides(config, graph_file) + list(args.overrides)
    header = f"run {row['id']} of {graph_file}, exported by pipe export"
    return str(graph_file), overrides, edit_yaml(graph_file, overrides, args.out, header)


def run(args) -> int:
    from ..compile import compile_text
    from ..errors import UsageError
    from ..export import edit_yaml

    source = Path(args.source)
    if source.suffix in (".yaml", ".yml") or source.is_file():
        if not source.is_file():
            raise UsageError(f"no such file: {source}")
        graph_file, overrides, text = str(source), list(args.overrides), edit_yaml(source, args.overrides, args.out)
    else:
        graph_file, overrides, text = _from_run(args)
    out_dir = Path(args.out).resolve().parent if args.out else Path(graph_file).resolve().parent
    out_dir.mkdir(parents=True, exist_ok=True)  # a relative path through a folder that does not exist fails
    graph = compile_text(text, file=args.out or "<export>", base_dir=out_dir)  # the result must compile
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out} ({len(graph.nodes)} nodes)", file=sys.stderr)
    if args.json:
        print(json.dumps({"file": args.out, "source": graph_file, "graph": graph.name,
                          "overrides": [o if isinstance(o, str) else {"path": ".".join(map(str, o[0])),
                                                                      "value": o[1]} for o in overrides],
                          "yaml": text}, indent=2, default=str))
    elif not args.out:
        sys.stdout.write(text)
    return 0
