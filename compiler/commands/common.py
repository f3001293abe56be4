"""Options and helpers shared by `pipe run`, `pipe validate`, `pipe graph` and `pipe tune`."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import UsageError
from .ranges import CONCURRENCY, COUNT, SECONDS, USD


def add_graph_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("graph", help="pipeline YAML file")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                        help="override a pipeline parameter (chunk_size=512) or a node parameter "
                             "(retrieve.top_k=8); repeatable")
    parser.add_argument("--allow-path", dest="allow_paths", action="append", default=[], metavar="DIR",
                        help="let prompt files be read from DIR, outside the graph's folder; repeatable")


def add_store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", default=".pipe", metavar="PATH", help="run store folder (default: .pipe)")


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """Execution options shared by `pipe run` and `pipe tune`."""
    add_store_option(parser)
    parser.add_argument("--no-cache", action="store_true", help="run every node, ignoring memoized results")
    parser.add_argument("--no-llm-cache", action="store_true", help="send every LLM request, ignoring the cache")
    parser.add_argument("--max-usd", type=USD, metavar="X", help="LLM budget in USD; the run stops cleanly")
    parser.add_argument("--max-calls", type=COUNT, metavar="N", help="budget of uncached LLM calls")
    parser.add_argument("--llm-concurrency", type=CONCURRENCY, metavar="N", help="concurrent LLM calls (all models)")
    parser.add_argument("--llm-timeout", type=SECONDS, metavar="S", help="seconds per LLM request")
    parser.add_argument("--llm-model-concurrency", action="append", default=[], metavar="MODEL=N",
                        help="concurrent LLM calls for a model, glob (openai/*) or provider prefix (ollama/); "
                             "repeatable")


def compile_graph(args: argparse.Namespace, tune: bool = False):
    """Compile `args.graph` with its `--set` overrides; with `tune`, also check its tune section (pipe validate,
    pipe tune). `pipe run` does not: it neither needs the tune section nor pays for importing the optimizers."""
    from ..compile import compile_file

    path = Path(args.graph)
    if not path.exists():
        raise UsageError(f"no such file: {path}")
    from ..read_paths import allow_from_command_line

    allow_from_command_line(getattr(args, "allow_paths", None) or [])
    graph = compile_file(path, args.overrides)
    if tune:
        check_tune(graph)
    return graph


def check_tune(graph) -> None:
    """Raise a `CompileError` locating every problem of the graph's tune section in its YAML file (none: no-op).

    Lives here, after compiling, so that the compiler never imports the optimizers (no import cycle)."""
    if graph.spec.tune is None:
        return
    try:
        from pipec.optimizers.tune_check import check_tune_section
    except ModuleNotFoundError:
        return
    from ..errors import CompileError
    from ..yaml_source import load_yaml_file

    problems = check_tune_section(graph)
    if not problems:
        return
    src = load_yaml_file(graph.file)
    raise CompileError(p.located(src.loc("tune", *p.path)) for p in problems)


def settings_from_args(graph, args: argparse.Namespace):
    """The graph's settings with command-line flags applied on top."""
    settings = graph.spec.settings
    llm = {}
    if getattr(args, "max_usd", None) is not None:
        llm["max_usd"] = args.max_usd
    if getattr(args, "max_calls", None) is not None:
        llm["max_calls"] = args.max_calls
    if getattr(args, "llm_concurrency", None) is not None:
        llm["concurrency"] = args.llm_concurrency
    if getattr(args, "llm_timeout", None) is not None:
        llm["timeout"] = args.llm_timeout
    per_model = dict(settings.llm.per_model_concurrency)
    for item in getattr(args, "llm_model_concurrency", None) or []:
        model, _, n = item.rpartition("=")
        if not model or not n.strip().isdigit() or int(n) < 1:
            raise UsageError(f"--llm-model-concurrency expects MODEL=N with N >= 1, got '{item}'")
        per_model[model.strip()] = int(n)
    if per_model != settings.llm.per_model_concurrency:
        llm["per_model_concurrency"] = per_model
    if llm:
        settings = settings.model_copy(update={"llm": settings.llm.model_copy(update=llm)})
    return settings


def open_store(args: argparse.Namespace, readonly: bool = False):
    from ..store import Store

    return Store(args.store, readonly=readonly)
