"""Run `pipe` in-process (the real CLI main; fast) or as a real subprocess, and read what it printed."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Result:
    code: int
    out: str
    err: str


def pipe(*argv: str | Path) -> Result:
    """`pipe ARGV` through the CLI's main in this process; argparse's exits become exit codes."""
    from pipec.compiler.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return Result(code, out.getvalue(), err.getvalue())


def pipe_process(*argv: str | Path, cwd: Path | None = None, timeout: float = 60, stdin=None) -> Result:
    proc = subprocess.run([sys.executable, "-m", "pipec.compiler.cli", *map(str, argv)], capture_output=True,
                          text=True, cwd=cwd, timeout=timeout, stdin=stdin)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def assert_clean_error(result: Result, file: Path | str | None, line: int | None, *words: str) -> None:
    """Exit 2, `file:line:` in front of the error, every word in it, no traceback and no internal error."""
    text = result.err
    assert result.code == 2, f"exit {result.code}, stderr:\n{text}"
    assert "Traceback" not in text and "internal error" not in text, text
    if file is not None:
        prefix = f"{file}:{line}:" if line is not None else f"{file}"
        assert prefix in text, f"{prefix!r} not in:\n{text}"
    for word in words:
        assert word in text, f"{word!r} not in:\n{text}"
