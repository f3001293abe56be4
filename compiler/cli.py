"""The `pipe` command line. Each subcommand lives in its own module, imported only when it is used, so
`pipe --help` stays instant (no pydantic, networkx or litellm import)."""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module with add_arguments(parser) and run(args) -> int, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("pipec.compiler.commands.run", "compile and run a pipeline (memoized, concurrent)"),
    "validate": ("pipec.compiler.commands.validate", "compile a pipeline without running it; report every error"),
    "graph": ("pipec.compiler.commands.graph", "draw a pipeline's DAG: text, Mermaid, DOT, SVG or PNG"),
    "serve": ("pipec.compiler.commands.serve", "serve a graph with request inputs over HTTP (POST /run)"),
    "export": ("pipec.compiler.commands.export", "write a graph (or a stored run's config) with overrides applied"),
    "runs": ("pipec.compiler.commands.runs", "list runs in the store"),
    "show": ("pipec.compiler.commands.show", "show one run: nodes, timings, cache hits, metrics, outputs"),
    "ops": ("pipec.compiler.commands.ops", "list registered ops with parameters and typed ports"),
    "tune": ("pipec.optimizers.command", "search a pipeline's hyperparameters (see the 'tune' section)"),
    "studies": ("pipec.compiler.commands.studies", "list tuning studies in the store"),
    "study": ("pipec.compiler.commands.study", "show or export one tuning study (show NAME|last, export NAME)"),
    "tui": ("pipec.tui.command", "open the terminal UI on a run store"),
}

EPILOG = """examples:
  pipe run examples/rag/offline.yaml
  pipe run graph.yaml --set chunk_size=512 --set retrieve.top_k=8 --json
  pipe validate graph.yaml
  pipe tune graph.yaml --strategy greedy --trials 10

exit codes: 0 ok, 1 a node failed, 2 bad input (compile errors, usage), 3 budget reached, 130 interrupted"""


def _available(module: str) -> bool:
    return importlib.util.find_spec(module.rsplit(".", 1)[0]) is not None


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pipe", description="pipec: a declarative pipeline compiler for RAG and compound AI systems.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (module, help_text) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            importlib.import_module(module).add_arguments(sp)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    from .op_index import skip_pydantic_plugin_scan

    skip_pydantic_plugin_scan()  # before the first pydantic model: see op_index.py
    try:
        parser = build_parser(argv)
    except ModuleNotFoundError as exc:
        print(f"error: this command is not available in this installation ({exc.name})", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    if args.version:
        from importlib.metadata import version

        print(f"pipec {version('pipec')}")
        return 0
    if not args.command:
        parser.print_help()
        return 0
    module = importlib.import_module(COMMANDS[args.command][0])
    from .errors import PipeError
    from .startup.fastpath import run_command

    try:
        return int(run_command(args.command, argv, args, lambda: module.run(args) or 0))
    except PipeError as exc:
        print(exc.format(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug, not bad input: one line, the traceback on request
        import os
        import sqlite3

        if isinstance(exc, sqlite3.Error):
            print(f"error: run store: {exc} (is another process holding it? see --store)", file=sys.stderr)
            return 2
        if os.environ.get("PIPEC_DEBUG"):
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (set PIPEC_DEBUG=1 for the traceback and please "
              "report it)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
