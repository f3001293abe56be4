"""The one exception type of the Python API, carrying the CLI's diagnostics."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from pipec.compiler.errors import CompileError, PipeError

T = TypeVar("T")


@dataclass(frozen=True)
class Diagnostic:
    """One problem, as `pipe validate --json` prints it."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    code: str = "error"
    node: str | None = None
    hint: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def diagnostics_of(exc: PipeError) -> list[Diagnostic]:
    """The diagnostics of any PipeError: a compile error's, else one for its message."""
    if isinstance(exc, CompileError):
        return [Diagnostic(d.message, d.location.file if d.location else None,
                           d.location.line if d.location else None, d.location.col if d.location else None,
                           _code(d.message), d.node, d.fix) for d in exc.diagnostics]
    return [Diagnostic(str(exc), code=type(exc).__name__)]


def _code(message: str) -> str:
    """A stable short code from the message's kind (for editors and CI to group by)."""
    for needle, code in (("unknown op", "unknown-op"), ("unknown parameter", "unknown-param"),
                         ("missing required", "missing"), ("cycle", "cycle"), ("not used by any node", "unused-input"),
                         ("does not exist", "missing-path"), ("YAML", "yaml"), ("duplicate", "duplicate-key"),
                         ("accepts", "type-mismatch"), ("unknown node", "unknown-node")):
        if needle in message:
            return code
    return "invalid"


class PipecError(PipeError):
    """Raised by every function of the API for a problem the user can fix; `format()` is what the CLI prints."""

    def __init__(self, original: PipeError):
        self.original = original
        self.exit_code = original.exit_code
        self.diagnostics = diagnostics_of(original)
        super().__init__(str(original))

    def format(self) -> str:
        return self.original.format()


@contextmanager
def api_errors() -> Iterator[None]:
    """Turn the compiler's PipeErrors into one PipecError."""
    try:
        yield
    except PipecError:
        raise
    except PipeError as exc:
        raise PipecError(exc) from exc


def wrapped(fn: Callable[..., T]) -> Callable[..., T]:
    import functools

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> T:
        with api_errors():
            return fn(*args, **kwargs)

    return call
