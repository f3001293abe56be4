"""What `pipe run` prints of a finished run and the exit code it returns (the slow path and a replayed plan)."""

from __future__ import annotations

import json
import os
import sys

EXIT_CODES = {"succeeded": 0, "failed": 1, "budget_exceeded": 3, "interrupted": 130}


def print_result(args, result) -> None:
    """What `pipe run` prints of a finished run (the slow path and a replayed plan alike)."""
    if args.json:
        print(json.dumps(result.to_json(), indent=2, default=str))
    else:
        print_summary(result)
    if result.error:
        print(f"error: {result.error}", file=sys.stderr)


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
