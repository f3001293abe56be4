"""Stored results are verified on every read and cannot run code: a changed, truncated or deleted artifact or
inline blob is a cache miss that recomputes (a warning names the node), never a wrong result or an internal
error; a pickle planted in the store is never loaded; a damaged store.db is a clear error with the way out."""

from __future__ import annotations

import pickle
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pipec.compiler.api import compile_text, run_graph
from pipec.compiler.store import Store
from pipec.compiler.store.codec import CorruptValue, decode, encode

pytestmark = pytest.mark.xdist_group("faults")

BIG = 300_000  # a text this long encodes above the inline limit: an artifact file
GRAPH = f"""\
nodes:
  big: {{op: core.value, params: {{value: ["{'x' * BIG}"]}}}}
  small: {{op: core.value, params: {{value: [1, 2, 3]}}}}
  total: {{op: core.concat, inputs: {{values: [big, small]}}}}
outputs:
  total: total.values
  big: big.value
  small: small.value
"""


def run(tmp_path: Path):
    store = Store(tmp_path / "store")
    try:
        return run_graph(compile_text(GRAPH, str(tmp_path / "g.yaml"), tmp_path), store)
    finally:
        store.close()


def entries(tmp_path: Path) -> dict[str, tuple[str | None, bytes | None]]:
    con = sqlite3.connect(tmp_path / "store" / "store.db")
    rows = {node: (artifact, blob) for node, artifact, blob in
            con.execute("SELECT node, artifact, blob FROM cache_entries")}
    con.close()
    return rows


def set_blob(tmp_path: Path, node: str, blob: bytes) -> None:
    con = sqlite3.connect(tmp_path / "store" / "store.db")
    con.execute("UPDATE cache_entries SET blob=? WHERE node=?", (blob, node))
    con.commit()
    con.close()


def test_values_round_trip_and_any_change_is_detected():
    from pipec.ops.data import Question

    value = {"a": [1, 2.5, None, "x"], "t": (1, 2), "v": np.arange(6, dtype=np.float32).reshape(2, 3),
             "q": [Question(id="1", question="hi")], "keys": {(1, 2): "pair", 3: "int"}, "n": np.int64(7)}
    blob = encode(value)
    back = decode(blob)
    assert back["t"] == (1, 2) and back["keys"] == {(1, 2): "pair", 3: "int"} and back["q"][0].question == "hi"
    assert back["v"].dtype == np.float32 and np.array_equal(back["v"], value["v"]) and back["n"] == 7
    for damaged in (blob[:-1], blob[:20], blob[:-5] + b"xxxxx", b"", pickle.dumps(value)):
        with pytest.raises(CorruptValue):
            decode(damaged)


@pytest.mark.parametrize("damage", ["flip", "truncate", "delete"])
def test_a_damaged_artifact_is_recomputed_with_a_warning(tmp_path, damage):
    first = run(tmp_path)
    artifact, _ = entries(tmp_path)["big"]
    assert artifact is not None
    path = tmp_path / "store" / artifact
    data = path.read_bytes()
    if damage == "flip":
        path.write_bytes(data[:1000] + bytes(b ^ 0xFF for b in data[1000:2000]) + data[2000:])
    elif damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    else:
        path.unlink()
    again = run(tmp_path)
    assert again.status == "succeeded" and again.outputs == first.outputs
    assert not again.nodes["big"].cache_hit and again.nodes["big"].status == "succeeded"
    assert any("stored result of node 'big' cannot be used" in w for w in again.nodes["big"].warnings)
    third = run(tmp_path)  # repaired: memoized again
    assert third.nodes["big"].cache_hit and not third.nodes["big"].warnings


def test_a_changed_inline_blob_is_recomputed(tmp_path):
    first = run(tmp_path)
    _, blob = entries(tmp_path)["small"]
    set_blob(tmp_path, "small", blob[:-2] + b"\x00\x01")
    again = run(tmp_path)
    assert again.outputs["total"] == first.outputs["total"] and not again.nodes["small"].cache_hit


class Planted:
    def __reduce__(self):  # what an attacker's pickle does when loaded
        return (Path.write_text, (Path(PLANT_TARGET[0]), "pwned"))


PLANT_TARGET = [""]


def test_a_planted_pickle_is_never_loaded(tmp_path):
    run(tmp_path)
    PLANT_TARGET[0] = str(tmp_path / "pwned.txt")
    set_blob(tmp_path, "small", pickle.dumps({"value": Planted()}))
    again = run(tmp_path)
    assert not (tmp_path / "pwned.txt").exists()
    assert again.status == "succeeded" and not again.nodes["small"].cache_hit


def test_no_stored_result_is_a_pickle(tmp_path):
    run(tmp_path)
    for artifact, blob in entries(tmp_path).values():
        data = (tmp_path / "store" / artifact).read_bytes() if artifact else blob
        assert data.startswith(b"PIPEC-V1") and not data[40:].startswith(b"\x80")


@pytest.mark.parametrize("damage", ["truncate", "garble"])
def test_a_damaged_store_db_is_a_clear_error_with_the_way_out(tmp_path, damage):
    run(tmp_path)
    db = tmp_path / "store" / "store.db"
    for extra in ("-wal", "-shm"):
        Path(f"{db}{extra}").unlink(missing_ok=True)
    data = db.read_bytes()
    db.write_bytes(data[:5000] if damage == "truncate" else b"garbage!" * 4000)
    (tmp_path / "g.yaml").write_text(GRAPH)
    for args in (["run", "g.yaml"], ["runs"], ["show", "last"]):
        proc = subprocess.run([sys.executable, "-m", "pipec.compiler.cli", *args, "--store", str(tmp_path / "store")],
                              cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "damaged" in proc.stderr and "mv " in proc.stderr and ".recover" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
