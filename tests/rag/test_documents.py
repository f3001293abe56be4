"""load.folder on the documents people keep: PDF, HTML with boilerplate, nested Markdown, odd encodings, files
that are not documents. Every file here is made by the test."""

import pytest
from pipec.ops.text.chunkers import ChunkSentences
from pipec.ops.text.datasets import DataError
from pipec.ops.text.documents import Unreadable, decode, markdown_sections
from pipec.ops.text.loaders import LoadFolder

from .helpers import ctx

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"


def load(folder, **params):
    c = ctx()
    c.resolve_path = lambda p: folder / p
    docs = LoadFolder(LoadFolder.Params(path=".", **params)).run(c)["documents"]
    return docs, c


def write_pdf(path, pages):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("A test report")
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))


HTML = """<html><head><title>Eiffel Tower - Example Encyclopedia</title></head><body>
<nav><a href="/">Home</a> | <a href="/about">About us</a> | <a href="/login">Log in</a></nav>
<article><h1>Eiffel Tower</h1>
<p>The Eiffel Tower is a wrought-iron lattice tower in Paris, built for the World's Fair of 1889.</p>
<h2>History</h2><p>Gustave Eiffel's company designed and built the tower between 1887 and 1889.</p>
<h3>Criticism</h3><p>Leading artists of the time signed a protest against the tower's construction.</p>
</article>
<footer>Copyright 2024 Example Corp. All rights reserved. Privacy policy. Cookie settings.</footer>
</body></html>"""

MARKDOWN = """# Guide

Intro text.

## Install

Run the installer.

```bash
# not a heading: inside a code block
pip install thing
```

### On Linux

Use the package manager.

## Use

Run it.
"""


def test_pdf_pages_reach_the_chunks(tmp_path):
    pytest.importorskip("pypdf")
    write_pdf(tmp_path / "report.pdf", ["The first page is about apples and orchards.",
                                        "The second page is about bananas from Ecuador."])
    (docs,), c = load(tmp_path)
    assert docs.id == "report.pdf" and docs.title == "A test report"
    assert docs.meta["format"] == "pdf" and docs.meta["page_count"] == 2 and len(docs.meta["sha256"]) == 64
    assert "apples" in docs.text and "bananas" in docs.text
    chunks = ChunkSentences(ChunkSentences.Params(size=8)).run(c, [docs])["chunks"]
    pages = {ch.meta["page"] for ch in chunks if "bananas" in ch.text} | {
        -ch.meta["page"] for ch in chunks if "apples" in ch.text}
    assert pages == {2, -1}
    assert all("pages" not in ch.meta for ch in chunks)


def test_html_main_content_without_boilerplate(tmp_path):
    pytest.importorskip("trafilatura")
    (tmp_path / "page.html").write_text(HTML, encoding="utf-8")
    (doc,), _ = load(tmp_path)
    assert doc.title.startswith("Eiffel Tower")
    assert "wrought-iron lattice" in doc.text and "Gustave Eiffel" in doc.text
    for boilerplate in ("Log in", "Cookie settings", "All rights reserved"):
        assert boilerplate not in doc.text
    assert [h for _, h in doc.meta["sections"]] == ["Eiffel Tower", "Eiffel Tower > History",
                                                    "Eiffel Tower > History > Criticism"]


def test_markdown_heading_paths_skip_code_blocks(tmp_path):
    assert [h for _, h in markdown_sections(MARKDOWN)] == [
        "Guide", "Guide > Install", "Guide > Install > On Linux", "Guide > Use"]
    (tmp_path / "guide.md").write_text(MARKDOWN)
    (doc,), c = load(tmp_path)
    chunks = ChunkSentences(ChunkSentences.Params(size=4)).run(c, [doc])["chunks"]
    by_text = {ch.text.strip(): ch.meta.get("heading_path") for ch in chunks}
    assert any(h == "Guide > Install > On Linux" for t, h in by_text.items() if "package manager" in t)
    assert any(h == "Guide > Use" for t, h in by_text.items() if "Run it" in t)


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16", "utf-8-sig", "cp1252"])
def test_text_encodings_are_detected(tmp_path, encoding):
    text = "Café crème brûlée: a déjà-vu of naïve façades, répété plusieurs fois pour la détection. " * 3
    (tmp_path / "menu.txt").write_bytes(text.encode(encoding))
    (doc,), _ = load(tmp_path)
    assert doc.text.strip() == text.strip()
    assert doc.meta["encoding"]


def test_files_that_are_not_documents_are_skipped_with_a_warning(tmp_path):
    (tmp_path / "good.txt").write_text("A good document.")
    (tmp_path / "image.txt").write_bytes(PNG)
    (tmp_path / "empty.md").write_text("")
    (tmp_path / "nul.txt").write_bytes(b"text\x00with a NUL byte")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "missing-target.txt")
    docs, c = load(tmp_path)
    assert [d.id for d in docs] == ["good.txt"]
    joined = "\n".join(c.warnings)
    for name, reason in [("image.txt", "binary"), ("empty.md", "empty"), ("nul.txt", "binary"),
                         ("gone.txt", "dangling symbolic link")]:
        assert name in joined and reason in joined, joined
    assert "read 1 file(s)" in c.log_lines[-1] and "skipped 4" in c.log_lines[-1]


def test_on_error_fail_names_the_file(tmp_path):
    (tmp_path / "good.txt").write_text("A good document.")
    (tmp_path / "image.txt").write_bytes(PNG)
    with pytest.raises(DataError, match=r"image\.txt.*binary"):
        load(tmp_path, on_error="fail")


def test_include_exclude_and_jsonl_records(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text("# A\nalpha")
    (tmp_path / "notes" / "draft.md").write_text("# Draft\nnot yet")
    (tmp_path / "other.txt").write_text("other")
    (tmp_path / "recs.jsonl").write_text('{"id": "r1", "text": "first record", "title": "One", "lang": "en"}\n')
    docs, _ = load(tmp_path, include=["notes/*", "*.jsonl"], exclude=["**/draft.md"])
    assert [d.id for d in docs] == ["notes/a.md", "r1"]
    assert docs[1].meta["lang"] == "en" and docs[1].meta["path"] == "recs.jsonl"


def test_decode_refuses_garbage():
    with pytest.raises(Unreadable, match="empty"):
        decode(b"  \n ")
    with pytest.raises(Unreadable, match="binary"):
        decode(b"\x7fELF\x02\x01\x01" + bytes(range(256)))
    assert decode("ünïcödé".encode()).encoding == "utf-8"


def test_unchanged_pdf_and_html_files_are_not_extracted_again(tmp_path, monkeypatch):
    pytest.importorskip("pypdf")
    pytest.importorskip("trafilatura")
    from pipec.compiler.api import compile_text, run_graph
    from pipec.ops.text import loaders

    folder = tmp_path / "kb"
    folder.mkdir()
    write_pdf(folder / "a.pdf", ["Apples grow in orchards."])
    write_pdf(folder / "b.pdf", ["Bananas come from Ecuador."])
    (folder / "page.html").write_text(HTML)
    (folder / "notes.md").write_text("# Notes\nplain")
    extracted = []
    for name in ("read_pdf", "read_html"):
        real = getattr(loaders, name)
        monkeypatch.setattr(loaders, name, lambda path, *a, _real=real, **k: extracted.append(path.name)
                            or _real(path, *a, **k))
    graph_text = "nodes:\n  docs: {op: load.folder, params: {path: kb}}\n"
    first = run_graph(compile_text(graph_text, base_dir=tmp_path), tmp_path / ".pipe")
    assert first.status == "succeeded" and sorted(extracted) == ["a.pdf", "b.pdf", "page.html"]
    extracted.clear()
    write_pdf(folder / "b.pdf", ["Bananas come from Ecuador and Colombia."])
    second = run_graph(compile_text(graph_text, base_dir=tmp_path), tmp_path / ".pipe")
    assert second.status == "succeeded" and not second.nodes["docs"].cache_hit
    assert extracted == ["b.pdf"]  # the folder changed, but only the edited file is extracted again
    from pipec.compiler.store import Store

    docs = Store(tmp_path / ".pipe").load_result(second.nodes["docs"].key)["documents"]
    assert [d.id for d in docs] == ["a.pdf", "b.pdf", "notes.md", "page.html"]
    assert "Colombia" in docs[1].text and "Apples" in docs[0].text
