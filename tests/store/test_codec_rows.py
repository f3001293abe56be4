"""Lists of dataclass instances stored as rows: they decode to equal lists, and the per-instance form still reads."""

from __future__ import annotations

import dataclasses

import msgpack
import numpy as np
import pytest
from pipec.compiler.store import codec
from pipec.ops.data import Chunk, Document, Hit, Retrieval


def chunks(n: int) -> list[Chunk]:
    return [Chunk(f"d{i}#0", f"d{i}", f"text {i}", f"T{i}", i, i + 6,
                  {"path": f"p/{i}.md", "pages": (1, 2), 3: "int key", "nested": {"x": [1.5, None]}})
            for i in range(n)]


def ext_codes(blob: bytes) -> set[int]:
    seen: set[int] = set()

    def hook(code: int, data: bytes) -> None:
        seen.add(code)
        return None

    msgpack.unpackb(memoryview(blob)[codec.HEADER:], ext_hook=hook, raw=False, strict_map_key=False)
    return seen


def test_long_lists_are_rows_and_round_trip_equal():
    value = {"chunks": chunks(50), "documents": [Document(f"d{i}", "t", meta={"k": i}) for i in range(9)],
             "retrievals": [Retrieval(f"q{i}", "?", [Hit("c", "d", "t", score=0.5)] * 3) for i in range(10)],
             "few": chunks(3), "mixed": [*chunks(8), Document("x", "y")], "n": 3}
    blob = codec.encode(value)
    assert codec.ROWS in ext_codes(blob)
    out = codec.decode(blob)
    assert out == value
    assert [type(c) for c in out["mixed"]] == [Chunk] * 8 + [Document]
    assert out["chunks"][0].meta["pages"] == (1, 2) and out["chunks"][0].meta[3] == "int key"
    assert out["chunks"][0] is not value["chunks"][0]


def test_rows_inside_a_stored_object_and_numpy_fields():
    from pipec.ops.text.embedders import EmbedderSpec
    from pipec.ops.text.indexes import DenseIndex

    vectors = np.random.default_rng(0).random((20, 8), dtype=np.float32)
    index = DenseIndex(chunks(20), EmbedderSpec("hashing", "hashing", dim=8), vectors, "flat")
    out = codec.decode(codec.encode({"index": index}))["index"]
    assert out.chunks == index.chunks
    assert np.array_equal(out.vectors(), index.vectors())
    big = DenseIndex(chunks(2000), EmbedderSpec("hashing", "hashing", dim=32),
                     np.random.default_rng(1).random((2000, 32), dtype=np.float32), "flat")
    blob = codec.encode({"index": big})
    assert blob[codec.HEADER] == 0xC9 and blob[codec.HEADER + 5] == codec.BUFFERS  # the flat vectors out of band
    again = codec.decode(blob)["index"]
    queries = np.random.default_rng(2).random((5, 32), dtype=np.float32)
    assert again.search_vectors(queries, 10) == big.search_vectors(queries, 10)
    for kind in ("flat", "hnsw"):
        empty = DenseIndex([], EmbedderSpec("hashing", "hashing", dim=8), np.empty((0, 8), np.float32), kind)
        assert codec.decode(codec.encode({"i": empty}))["i"].index.ntotal == 0


def test_the_per_instance_form_still_decodes(monkeypatch):
    value = {"chunks": chunks(20)}
    monkeypatch.setattr(codec, "ROWS_MIN", 10**9)  # what a store written before rows holds
    old = codec.encode(value)
    assert codec.ROWS not in ext_codes(old)
    monkeypatch.undo()
    assert codec.decode(old) == value


@dataclasses.dataclass
class WithPostInit:
    x: int
    doubled: int = 0

    def __post_init__(self):
        self.doubled = 2 * self.x


def test_a_class_with_post_init_is_stored_per_instance(monkeypatch):
    monkeypatch.setattr(codec, "_trusted", lambda name: True)
    value = {"items": [WithPostInit(i) for i in range(10)]}
    blob = codec.encode(value)
    assert codec.ROWS not in ext_codes(blob)
    assert codec.decode(blob) == value


def test_rows_of_an_untrusted_class_are_refused():
    payload = msgpack.packb({"x": msgpack.ExtType(codec.ROWS, msgpack.packb(["os:system", ["a"], [["ls"]]]))})
    import hashlib

    blob = codec.MAGIC + hashlib.sha256(payload).digest() + payload
    with pytest.raises(codec.CorruptValue):
        codec.decode(blob)


def test_large_arrays_out_of_band_round_trip():
    rng = np.random.default_rng(1)
    value = {"v": rng.random((300, 64), dtype=np.float32), "ints": np.arange(20_000, dtype=np.int64),
             "fortran": np.asfortranarray(rng.random((200, 50))), "small": np.ones(3, dtype=np.float16),
             "nested": {"x": [rng.random(10_000)]}}
    blob = codec.encode(value)
    assert blob[codec.HEADER] == 0xC9 and blob[codec.HEADER + 5] == codec.BUFFERS
    out = codec.decode(blob)
    for key in ("v", "ints", "fortran", "small"):
        assert out[key].dtype == value[key].dtype and np.array_equal(out[key], value[key])
    assert np.array_equal(out["nested"]["x"][0], value["nested"]["x"][0])
    out["v"][0, 0] = 5.0  # writable, not a view of the blob


def test_inline_npy_arrays_still_decode(monkeypatch):
    value = {"v": np.arange(50_000, dtype=np.float32)}
    monkeypatch.setattr(codec, "BUFFER_MIN", 1 << 62)
    old = codec.encode(value)
    assert old[codec.HEADER] != 0xC9
    monkeypatch.undo()
    assert np.array_equal(codec.decode(old)["v"], value["v"])


def test_an_out_of_band_array_outside_the_blob_is_corrupt():
    import hashlib

    inner = msgpack.packb({"v": msgpack.ExtType(codec.BUFFER, msgpack.packb(["<f4", [100], 0, 400]))})
    body = b"\xc9" + len(inner).to_bytes(4, "big") + bytes([codec.BUFFERS]) + inner + b"\0" * 100
    with pytest.raises(codec.CorruptValue):
        codec.decode(codec.MAGIC + hashlib.sha256(body).digest() + body)
