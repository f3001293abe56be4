"""load.folder re-reads only changed files (folderreuse.py) and its documents equal a full parse."""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from pathlib import Path

from pipec.compiler.context import RunCaches
from pipec.compiler.store import Store, clear_process_caches
from pipec.compiler.store.embeddings import EmbeddingCache
from pipec.compiler.store.filehashes import FileHashCache
from pipec.compiler.store.lineage import LineageCache
from pipec.compiler.store.parts import PartCache
from pipec.ops.text.loaders import FolderOptions, LoadFolder, read_folder

from .helpers import ctx

KEYS = itertools.count()


def load(store, folder: Path, **params):
    """load.folder as the executor runs it: a fresh context, the result saved under a new key."""
    c = ctx(store)
    c.cache = RunCaches(EmbeddingCache(store), PartCache(store), LineageCache(store), FileHashCache(store))
    c.node, c.cache_key, c.resolve_path = "docs", f"key-{next(KEYS)}", Path
    op = LoadFolder(LoadFolder.Params(path=str(folder), **params))
    out = op.run(c)
    store.save_result(c.cache_key, op.name, "docs", out, preview="")
    return out["documents"], unchanged(c.log_lines)


def unchanged(log: list[str]) -> int:
    m = re.search(r"(\d+) unchanged since the previous run", " ".join(log))
    return int(m.group(1)) if m else 0


def full_parse(folder: Path):
    return read_folder(folder, options=FolderOptions())


def make(folder: Path, n: int) -> None:
    (folder / "sub").mkdir(parents=True)
    for i in range(n):
        (folder / ("sub" if i % 3 else "") / f"d{i:02d}.md").write_text(f"# Doc {i}\n\nText of document {i}.\n")
    (folder / "notes.txt").write_bytes("caf\xe9 cr\xe8me, na\xefve fa\xe7ade".encode("latin-1"))
    (folder / "recs.jsonl").write_text("".join(json.dumps({"id": f"r{i}", "text": f"record {i}"}) + "\n"
                                               for i in range(2)))
    (folder / "empty.txt").write_text("")


def test_edit_add_delete_reads_only_those_files_and_equals_a_full_parse(tmp_path):
    clear_process_caches()
    store, folder = Store(tmp_path / "store"), tmp_path / "docs"
    make(folder, 10)
    docs, reused = load(store, folder)
    assert reused == 0 and docs == full_parse(folder)
    docs, reused = load(store, folder)
    assert reused == 12 and docs == full_parse(folder)  # 10 .md, the .txt, the .jsonl; the empty file skipped
    (folder / "sub" / "d04.md").write_text("# Doc 4\n\nEdited.\n")
    (folder / "sub" / "d05.md").unlink()
    (folder / "sub" / "new.md").write_text("# New\n\nAdded.\n")
    docs, reused = load(store, folder)
    assert reused == 10 and docs == full_parse(folder)
    assert [d.id for d in docs] == [d.id for d in full_parse(folder)]


def test_same_size_edit_with_mtime_put_back_is_read_again(tmp_path):
    clear_process_caches()
    store, folder = Store(tmp_path / "store"), tmp_path / "docs"
    make(folder, 4)
    load(store, folder)
    f = folder / "d00.md"
    st = f.stat()
    f.write_text(f.read_text().replace("Text", "Tekst"[:4]).replace("document", "DOCUMENT"))
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert f.stat().st_size == st.st_size
    docs, _ = load(store, folder)
    assert docs == full_parse(folder) and "DOCUMENT" in next(d.text for d in docs if d.id.endswith("d00.md"))


def test_a_subset_or_other_params_do_not_reuse(tmp_path):
    clear_process_caches()
    store, folder = Store(tmp_path / "store"), tmp_path / "docs"
    make(folder, 6)
    load(store, folder)
    assert load(store, folder, limit=3)[1] == 0
    assert load(store, folder, exclude=["**/d01.md"])[1] == 0
    docs, reused = load(store, folder, exclude=["**/d01.md"])
    assert reused == 7 and docs == read_folder(folder, options=FolderOptions(exclude=("**/d01.md",)))


def test_random_edit_sequences_equal_a_full_parse(tmp_path):
    clear_process_caches()
    rng = random.Random(7)
    store, folder = Store(tmp_path / "store"), tmp_path / "docs"
    make(folder, 12)
    load(store, folder)
    for step in range(6):
        files = sorted(p for p in folder.rglob("*.md"))
        action = rng.choice(["edit", "add", "delete"])
        if action == "edit":
            p = rng.choice(files)
            p.write_text(p.read_text() + f"More {step}.\n")
        elif action == "add":
            (folder / f"added{step}.md").write_text(f"# Added {step}\n\nNew text.\n")
        elif files:
            rng.choice(files).unlink()
        docs, reused = load(store, folder)
        expected = full_parse(folder)
        assert docs == expected, (step, action)
        readable = len([p for p in folder.rglob("*") if p.is_file() and p.stat().st_size])
        assert reused == readable - (0 if action == "delete" else 1), (step, action)


def test_listing_order_and_filters_are_those_of_a_sorted_rglob(tmp_path):
    from pipec.ops.text.loaders import FolderReport, folder_files

    folder = tmp_path / "docs"
    for rel in ("a.md", "a/b.md", "a-b.md", "A.MD", "z/y/x.txt", ".hidden/h.md", "v/.h.md", "n.markdown", "c.tar.md",
                "noext", "e.pdf.txt"):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text("x")
    (folder / "linked").symlink_to(folder / "a", target_is_directory=True)  # not followed
    (folder / "dangling.md").symlink_to(folder / "nowhere.md")
    options = FolderOptions(exclude=("**/e.pdf.txt",))
    reference = []
    for path in sorted(folder.rglob("*")):  # the listing before os.walk
        rel = path.relative_to(folder).as_posix()
        if any(p.startswith(".") for p in Path(rel).parts) or path.suffix.lower() not in options.suffixes:
            continue
        if rel == "e.pdf.txt" or (path.is_symlink() and not path.exists()) or not path.is_file():
            continue
        reference.append(rel)
    report = FolderReport()
    assert [rel for _, rel in folder_files(folder, options, report)] == reference
    assert [rel for rel, _ in report.skipped] == ["dangling.md"]
