"""The one exception type of the Python API, carrying the CLI's diagnostics."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from pipec.compiler.errors import PipeError
from pipec.compiler.json_views import DiagnosticView, diagnostics_of

T = TypeVar("T")


Diagnostic = DiagnosticView  # message, file, line, column, code, node, hint


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
