"""Store.stored_bytes: a memoized result exactly as stored, inline or as an artifact, from the writable store and
the read-only view alike (the byte-for-byte comparisons of sharded and unsharded runs read it)."""

from __future__ import annotations

import pytest
from pipec.compiler.store import Store
from pipec.compiler.store.artifacts import decode_value
from pipec.compiler.store.readonly import open_store_readonly


@pytest.mark.parametrize("size", [10, 400_000])  # inline and as an artifact
def test_stored_bytes_decode_to_the_saved_value_in_both_views(tmp_path, size):
    value = {"out": "x" * size, "n": [1, 2]}
    with Store(tmp_path) as store:
        store.save_result("k", "core.value", "a", value, "preview")
        store.flush()
        written = store.stored_bytes("k")
        with pytest.raises(KeyError):
            store.stored_bytes("missing")
    assert isinstance(written, bytes) and decode_value(written, "core.value") == value
    with open_store_readonly(tmp_path) as view:
        assert view.stored_bytes("k") == written
