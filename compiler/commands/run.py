"""`pipe run`: compile and execute a pipeline."""

from __future__ import annotations

import os
import sys

from .common import add_graph_options, add_run_options, compile_graph, open_store, settings_from_args
from .run_output import EXIT_CODES, print_result


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
    from ..startup.fastpath import save_run

    save_run(args, graph, result)  # a later identical command may replay it without compiling
    print_result(args, result)
    return EXIT_CODES.get(result.status, 1)
