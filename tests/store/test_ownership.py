"""The store package is the one owner of stored data: no SQL outside it, and read commands never create one."""

from __future__ import annotations

import re
import subprocess
import sys

from pipec.compiler.store import open_store_readonly

SQL = re.compile(r"\b(SELECT [a-z_*(]|INSERT (OR [A-Z]+ )?INTO|DELETE FROM|CREATE TABLE|UPDATE [a-z_]+ SET)")
FOLDERS = ("compiler", "ops", "optimizers", "tui")


def test_no_sql_outside_the_store_package(repo):
    found = []
    for folder in FOLDERS:
        for path in sorted((repo / folder).rglob("*.py")):
            if "store" in path.relative_to(repo).parts[:2]:
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if SQL.search(line):
                    found.append(f"{path.relative_to(repo)}:{n}: {line.strip()}")
    assert not found, "SQL outside compiler/store/ (add a typed store method instead):\n" + "\n".join(found)


def test_read_commands_never_create_a_store(tmp_path):
    for command in (["runs"], ["show", "last"]):
        proc = subprocess.run([sys.executable, "-m", "pipec.compiler.cli", *command, "--store", "nowhere"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert "no run store at nowhere" in proc.stderr and "Traceback" not in proc.stderr
        assert not (tmp_path / "nowhere").exists()


def test_the_read_only_view_refuses_to_write(tmp_path):
    import pytest
    from pipec.compiler.errors import StoreError
    from pipec.compiler.store import Store

    Store(tmp_path / "s").close()
    with open_store_readonly(tmp_path / "s") as view, pytest.raises(StoreError, match="read-only"):
        view.conn.write(lambda db: db.execute("DELETE FROM runs"))
