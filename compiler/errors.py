"""One error hierarchy for everything a user can get wrong or run into.

`PipeError` and its subclasses are the only exceptions the CLI turns into clean messages; each carries an
exit code. A `CompileError` holds every `Problem` found in one pass, so the user sees all problems at once.
`Problem` is the one problem type (compile diagnostics, `Op.validate`, the tune-section check).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Location:
    file: str
    line: int  # 1-based
    col: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Problem:
    """The one problem type: what is wrong, where, which node, how to fix it.

    A check that does not know the YAML file (an op's `validate`, the tune-section check) gives `path`, the keys
    leading to the culprit (a parameter name; keys inside `tune`); the compiler or command that holds the YAML
    source turns it into a `location` with `located`. The CLI prints `format()`."""

    message: str
    location: Location | None = None
    node: str | None = None
    fix: str | None = None
    path: tuple = ()

    def located(self, location: Location | None, node: str | None = None) -> Problem:
        return replace(self, location=location, node=node if node is not None else self.node)

    def format(self) -> str:
        where = f"{self.location}: " if self.location else ""
        node = f"node '{self.node}': " if self.node else ""
        fix = f" ({self.fix})" if self.fix else ""
        return f"{where}error: {node}{self.message}{fix}"


# The name compile errors have always used for a located Problem.
Diagnostic = Problem


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
    """An op raised while running. Names the node, the op and the original message (the executor records
    `str(OpError(...))` as the run's error)."""

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
    # str(): a YAML key may be a number or null (`1: x`); it is compared as the text the user typed
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
