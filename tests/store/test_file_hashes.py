"""The store-owned file-hash cache: hashes reused while a file's stat is unchanged, never when it may have changed."""

from __future__ import annotations

import hashlib
import os
import time

import pytest
from pipec.compiler.fingerprint import fingerprint_path
from pipec.compiler.store import Store, clear_process_caches
from pipec.compiler.store.filehashes import RACY_NS, REHASH_ENV, FileHashCache


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def age(path, seconds: float = 100.0) -> int:
    """Set the file's mtime `seconds` in the past (outside the racy window); returns it in ns."""
    old = time.time_ns() - int(seconds * 1e9)
    os.utime(path, ns=(old, old))
    return old


@pytest.fixture
def store(tmp_path):
    clear_process_caches()
    with Store(tmp_path / "store") as s:
        yield s
    clear_process_caches()


def test_unchanged_old_file_is_not_read_again_across_processes(tmp_path, store):
    f = tmp_path / "a.txt"
    f.write_bytes(b"hello")
    age(f)
    files = FileHashCache(store)
    assert files.content_hash(f) == sha(b"hello") and files.hashed == 1
    clear_process_caches()  # a new process: only the store remembers
    again = FileHashCache(store)
    assert again.content_hash(f) == sha(b"hello")
    assert again.hashed == 0


def test_same_size_same_mtime_edit_in_the_racy_window_is_detected(tmp_path, store):
    f = tmp_path / "a.txt"
    f.write_bytes(b"hello")
    st = f.stat()
    files = FileHashCache(store)
    assert files.content_hash(f) == sha(b"hello")
    f.write_bytes(b"HELLO")  # same size, same inode
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))  # mtime put back
    assert f.stat().st_mtime_ns == st.st_mtime_ns and f.stat().st_size == st.st_size
    clear_process_caches()
    assert FileHashCache(store).content_hash(f) == sha(b"HELLO")


def test_racy_entry_is_rehashed_but_an_old_one_is_trusted(tmp_path, store):
    fresh, old = tmp_path / "fresh.txt", tmp_path / "old.txt"
    fresh.write_bytes(b"x")
    old.write_bytes(b"y")
    age(old, 2 * RACY_NS / 1e9)
    FileHashCache(store).content_hashes([fresh, old])
    again = FileHashCache(store)
    assert again.content_hashes([fresh, old]) == [sha(b"x"), sha(b"y")]
    assert again.hashed == 1  # the fresh file only: it was modified within RACY_NS of being hashed


def test_forged_old_mtime_outside_the_racy_window_is_detected_by_ctime(tmp_path, store):
    f = tmp_path / "a.txt"
    f.write_bytes(b"hello")
    mtime = age(f)
    time.sleep(0.01)
    FileHashCache(store).content_hash(f)
    f.write_bytes(b"jello")
    os.utime(f, ns=(mtime, mtime))  # size and mtime as recorded; ctime moves to now
    clear_process_caches()
    assert FileHashCache(store).content_hash(f) == sha(b"jello")


def test_rehash_env_hashes_every_file(tmp_path, store, monkeypatch):
    f = tmp_path / "a.txt"
    f.write_bytes(b"hello")
    age(f)
    FileHashCache(store).content_hash(f)
    monkeypatch.setenv(REHASH_ENV, "1")
    files = FileHashCache(store)
    assert files.content_hash(f) == sha(b"hello") and files.hashed == 1


def test_folder_fingerprint_is_the_same_with_and_without_the_cache_and_follows_edits(tmp_path, store):
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    for name in ("a.md", "sub/b.md", ".hidden.md"):
        (folder / name).write_text(name)
        age(folder / name)
    (folder / "dangling.md").symlink_to(folder / "nowhere")
    plain = fingerprint_path(folder)
    files = FileHashCache(store)
    assert fingerprint_path(folder, files) == plain
    again = FileHashCache(store)
    assert fingerprint_path(folder, again) == plain and again.hashed == 0
    (folder / "sub" / "b.md").write_text("changed")
    edited = FileHashCache(store)
    assert fingerprint_path(folder, edited) != plain and edited.hashed == 1
    (folder / ".hidden.md").write_text("hidden files do not count")
    assert fingerprint_path(folder, FileHashCache(store)) == fingerprint_path(folder)


def test_missing_and_unreadable(tmp_path, store):
    files = FileHashCache(store)
    assert files.content_hashes([tmp_path / "nope"]) == [None]
    with pytest.raises(OSError):
        files.content_hash(tmp_path / "nope")
    assert fingerprint_path(tmp_path / "nope", files) == "missing"


def test_a_worker_store_without_the_driver_store_still_hashes(tmp_path):
    from pipec.compiler.store.journal import JournalStore

    clear_process_caches()
    f = tmp_path / "a.txt"
    f.write_bytes(b"hello")
    age(f)
    journal = JournalStore(cached=[], values={}, store_root=None)  # a Ray worker on another machine
    files = FileHashCache(journal)
    assert files.content_hash(f) == sha(b"hello")
    assert [name for name, _, _ in journal.entries] == ["put_file_hashes"]  # replayed on the driver's store
    with Store(tmp_path / "store") as driver:
        from pipec.compiler.store.journal import replay

        replay(driver, journal.entries)
        assert driver.file_hashes([str(f)])[str(f)].sha256 == sha(b"hello")
