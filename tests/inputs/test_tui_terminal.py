"""`pipe tui` without a terminal exits 2 at once instead of waiting for input that never comes."""

from __future__ import annotations

import subprocess

from .helpers import pipe_process


def test_pipe_tui_without_a_terminal_is_exit_2(tmp_path):
    from pipec.compiler.store import Store

    Store(tmp_path / ".pipe").close()
    result = pipe_process("tui", "--store", tmp_path / ".pipe", timeout=30, stdin=subprocess.DEVNULL)
    assert result.code == 2, result.err
    assert "pipe tui needs a terminal" in result.err and "Traceback" not in result.err
