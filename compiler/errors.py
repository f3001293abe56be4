"""One error hierarchy for everything a user can get wrong or run into.

`PipeError` and its subclasses are the only exceptions the CLI turns into clean messages; each carries an
exit code. A `CompileError` holds every `Diagnostic` found in one pass, so the user sees all problems at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    file: str
    line: int  # 1-based
    col: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found while compiling: where, which node, what is wrong, how to fix it."""

    message: str
    location: Location | None = None
    node: str | None = None
    fix: str | None = None

    def format(self) -> str:
        where = f"{self.location}: " if self.location else ""
        node = f"node '{self.node}': " if self.node else ""
        fix = f" ({self.fix})" if self.fix else ""
        return f"{where}error: {node}{self.message}{fix}"


class PipeError(Exception):
    """Base of every error the user should see as one clear message (never a traceback)."""

    exit_code = 1

    def format(self) -> str:
        return f"error: {self}"


class UsageError(PipeError):
    """Bad input from the user: a bad flag, a missing file, a malformed override."""

    exit_code = 2


class CompileError(PipeError):
    """The graph does not compile. Holds every diagnostic, sorted by position."""

    exit_code = 2

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sorted(
            diagnostics,
            key=lambda d: (
                d.location.file if d.location else "",
                d.location.line if d.location else 0,
                d.location.col if d.location else 0,
            ),
        )
        super().__init__(f"{len(self.diagnostics)} error(s)")

    def format(self) -> str:
        lines = [d.format() for d in self.diagnostics]
        n = len(self.diagnostics)
        lines.append(f"{n} error{'s' if n != 1 else ''}; nothing was run")
        return "\n".join(lines)


class OpError(PipeError):
    """An op raised while running. Names the node, the op and the original message."""

    def __init__(self, node: str, op: str, message: str):
        self.node, self.op, self.message = node, op, message
        super().__init__(f"node '{node}' (op {op}) failed: {message}")


class BudgetExceeded(PipeError):
    """A budget (USD, calls, time) was reached; the run stops cleanly and keeps what it did."""

    exit_code = 3


class StoreError(PipeError):
    """The run store cannot be opened or used (locked, newer schema, corrupt)."""

    exit_code = 2


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A short hint naming the closest choice, or None when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
