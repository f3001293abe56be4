"""`pipe run`: compile and execute a pipeline."""

from __future__ import annotations

import json
import os
import sys

from .common import add_graph_options, add_run_options, compile_graph, open_store, settings_from_args

EXIT_CODES = {"succeeded": 0, "failed": 1, "budget_exceeded": 3, "interrupted": 130}


def add_arguments(parser):
    add_graph_options(parser)
    add_run_options(parser)
    parser.add_argument("--force", action="append", default=[], metavar="NODE",
                        help="re-run NODE and everything downstream of it even if cached; repeatable")
    parser.add_argument("--input", dest="inputs", action="append", default=[], metavar="NAME=VALUE",
                        help="a request input of the graph (its 'inputs:' section), e.g. question=\"who ...\"; "
                             "JSON for lists and objects; repeatable")
    parser.add_argument("--json", action="store_true", help="print one JSON result on stdout")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress display")


def run(args) -> int:
    from ..errors import UsageError
    from ..inputs import parse_cli_inputs
    from ..reporter import NullReporter, reporter_for
    from ..request_executor import RequestExecutor

    graph = compile_graph(args)
    unknown = [n for n in args.force if n not in graph.nodes]
    if unknown:
        from ..errors import did_you_mean

        hint = did_you_mean(unknown[0], graph.nodes)
        raise UsageError(f"--force: no node '{unknown[0]}'" + (f"; {hint}" if hint else ""))
    request = parse_cli_inputs(args.inputs, graph.request_inputs)
    from .. import signals

    signals.install()  # SIGINT/SIGTERM: stop within a second, mark the run interrupted, exit 130/143
    store = open_store(args)
    reporter = NullReporter() if args.quiet else reporter_for(sys.stderr)
    executor = RequestExecutor(graph, store, inputs=request, use_cache=not args.no_cache, force=args.force,
                               reporter=reporter, use_llm_cache=not args.no_llm_cache,
                               settings=settings_from_args(graph, args))
    try:
        result = executor.run()
    except KeyboardInterrupt:
        store.close()
        print(f"interrupted: run {executor.run_id} stopped; completed nodes are cached, re-run to resume",
              file=sys.stderr)
        sys.stderr.flush()
        os._exit(signals.exit_code())  # worker threads may still be inside an op; the store is consistent
    store.close()
    if args.json:
        print(json.dumps(result.to_json(), indent=2, default=str))
    else:
        print_summary(result)
    if result.error:
        print(f"error: {result.error}", file=sys.stderr)
    return EXIT_CODES.get(result.status, 1)


def print_summary(result) -> None:
    from ..preview import describe

    if result.metrics:
        print_metrics(result.metrics)
    bold = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    for name, value in result.outputs.items():
        label = f"\033[1m{name}\033[0m" if bold else name
        print(f"{label}: {describe(value)}")  # plain print: a value's brackets are text, not rich markup


def print_metrics(metrics: dict) -> None:
    # rich only for a table: importing it was most of the cost of printing a cached run's outputs
    from rich.console import Console
    from rich.table import Table

    table = Table(title="metrics", title_justify="left")
    table.add_column("node")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for node, values in metrics.items():
        for name, value in values.items():
            table.add_row(node, name, f"{value:.4f}")
    Console().print(table)
