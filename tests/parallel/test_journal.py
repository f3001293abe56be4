"""The worker's JournalStore: memoized values a local worker was not sent are read from the driver's store;
results are encoded in the worker and stored as the same bytes by the driver's replay."""

import numpy as np
import pytest
from pipec.compiler.store import Store
from pipec.compiler.store.journal import JournalStore, replay


def test_a_local_worker_reads_memoized_values_and_the_driver_stores_its_encoded_results(tmp_path):
    store = Store(tmp_path / "s")
    value = {"vectors": np.arange(12, dtype=np.float32).reshape(3, 4), "ids": ["a", "b", "c"]}
    store.save_result("k1", "core.value", "n1", value, preview="")
    store.flush()
    journal = JournalStore({"k1"}, {}, str(store.root))
    loaded = journal.load_result("k1")
    assert loaded["ids"] == ["a", "b", "c"] and np.array_equal(loaded["vectors"], value["vectors"])
    with pytest.raises(KeyError):
        journal.load_result("missing")
    size = journal.save_result("k2", "core.value", "n2", {"value": [1, 2]}, preview="[1, 2]")
    assert journal.entries[-1][0] == "save_encoded" and isinstance(journal.entries[-1][1][3], bytes)
    journal.close()
    replay(store, journal.entries)
    assert store.load_result("k2") == {"value": [1, 2]}
    rows = store.query("SELECT blob FROM cache_entries WHERE key='k2'")
    assert len(rows[0]["blob"]) == size  # the worker's bytes, stored as they are
    store.close()


def test_a_worker_without_the_store_finds_nothing_it_was_not_sent(tmp_path):
    journal = JournalStore({"k1"}, {"k1": {"value": 1}}, str(tmp_path / "elsewhere"))
    assert journal.load_result("k1") == {"value": 1}
    with pytest.raises(KeyError):
        journal.load_result("k2")
