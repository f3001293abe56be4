"""Argument types for numeric flags: argparse checks the range, so a bad value is exit 2 naming the range.

    parser.add_argument("--llm-concurrency", type=int_range(1, 10_000), metavar="N", ...)
    # pipe run g.yaml --llm-concurrency 0
    # pipe run: error: argument --llm-concurrency: 0 is out of range: an integer from 1 to 10000

Every numeric flag of every command uses one of these (tests/inputs/test_cli_flags.py checks it), so none can
hang or crash on 0, a negative number, NaN or infinity.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

ArgType = Callable[[str], int | float]


def _num(x: float) -> str:
    return str(x) if isinstance(x, int) else f"{x:g}"


def _describe(kind: str, lo: float | None, hi: float | None, lo_open: bool) -> str:
    if lo is not None and hi is not None and not lo_open:
        return f"{kind} from {_num(lo)} to {_num(hi)}"
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_open else '>='} {_num(lo)}")
    if hi is not None:
        parts.append(f"<= {_num(hi)}")
    return f"{kind} {' and '.join(parts)}" if parts else kind


def int_range(lo: int | None = None, hi: int | None = None) -> ArgType:
    """An integer flag with an inclusive range."""
    allowed = _describe("an integer", lo, hi, False)

    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not an integer (allowed: {allowed})") from None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"{value} is out of range: {allowed}")
        return value

    parse.__name__ = "integer"
    parse.allowed = allowed  # type: ignore[attr-defined]
    return parse


def float_range(lo: float | None = None, hi: float | None = None, lo_open: bool = False) -> ArgType:
    """A finite number flag; `lo_open` makes the lower bound exclusive (a timeout must be > 0)."""
    allowed = _describe("a number", lo, hi, lo_open)

    def parse(text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number (allowed: {allowed})") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text} is not a finite number (allowed: {allowed})")
        low_bad = lo is not None and (value <= lo if lo_open else value < lo)
        if low_bad or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"{value:g} is out of range: {allowed}")
        return value

    parse.__name__ = "number"
    parse.allowed = allowed  # type: ignore[attr-defined]
    return parse


# The ranges the commands share.
CONCURRENCY = int_range(1, 10_000)
COUNT = int_range(0, 10**9)  # budgets of calls: 0 is allowed (no calls)
POSITIVE_COUNT = int_range(1, 10**9)
USD = float_range(0, 10**9)
SECONDS = float_range(0, 7 * 24 * 3600, lo_open=True)  # a timeout: > 0, at most a week
SEED = int_range(0, 2**32 - 1)
PORT = int_range(0, 65535)
