"""Reading the documents people keep: plain text and Markdown in any common encoding, PDF (pypdf) and web pages
(trafilatura's main-content extraction), one `Document` per file.

A document keeps where its parts came from, so that chunks can say it too: `meta["pages"]` holds the character
offset where each PDF page starts, `meta["sections"]` the offset and heading path ("Intro > Setup") of each
Markdown or HTML section. Chunkers turn these into a chunk's `page` and `heading_path`.

A file that is empty, binary or cannot be decoded raises `Unreadable` with the reason; the loader skips it with a
warning (or fails, with `on_error: fail`).
"""

from __future__ import annotations

import bisect
import codecs
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipec.ops.data import Document

# Suffix -> format. `.jsonl` holds one document per record.
FORMATS = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown", ".pdf": "pdf",
           ".html": "html", ".htm": "html", ".jsonl": "jsonl"}
DOCS_EXTRA = 'pip install "pipec[docs]"'
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
BINARY_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"PK\x03\x04", b"\x1f\x8b", b"\x7fELF", b"MZ")


class Unreadable(Exception):
    """A file that is not a document: the message says why (empty, binary, cannot be decoded...)."""


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str


# --- text encodings -------------------------------------------------------------------------------------------

def decode(data: bytes) -> Decoded:
    """Bytes of a text file -> text and the encoding used: a BOM wins, then UTF-8, then charset-normalizer's guess."""
    if not data.strip():
        raise Unreadable("empty file")
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(encoding), encoding.removesuffix("-sig"))
            except UnicodeDecodeError as exc:
                raise Unreadable(f"starts with a {encoding} byte-order mark but is not {encoding} "
                                 f"(byte {exc.start})") from None
    if data.startswith(BINARY_MAGIC) or b"\x00" in data[:8192]:
        raise Unreadable("a binary file, not text")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    if western := _as_western(data):
        return western
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise Unreadable("cannot be decoded as text in any known encoding")
    text = str(best)
    if _control_ratio(text) > 0.05:
        raise Unreadable("a binary file, not text")
    return Decoded(text, best.encoding)


def _as_western(data: bytes) -> Decoded | None:
    """cp1252 (a superset of Latin-1's printable range) when the text reads as mostly-ASCII words with a few
    accented letters, as English, French, German or Spanish do. charset-normalizer alone often takes short
    Western texts for a Baltic or Central European code page; text in Cyrillic or Greek code pages decodes to
    almost only non-ASCII letters here and is left to it."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    letters = [c for c in text if c.isalpha()]
    non_ascii = sum(1 for c in letters if ord(c) > 127)
    if not letters or non_ascii / len(letters) > 0.3 or _control_ratio(text) > 0:
        return None
    return Decoded(text, "cp1252")


def _control_ratio(text: str) -> float:
    sample = text[:8192]
    control = sum(1 for c in sample if ord(c) < 32 and c not in "\t\n\r\f")
    return control / max(1, len(sample))


# --- Markdown sections ----------------------------------------------------------------------------------------

HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
FENCE = re.compile(r"^(```|~~~)")


def markdown_sections(text: str) -> list[tuple[int, str]]:
    """(offset, heading path) where each section starts; headings inside fenced code blocks do not count."""
    sections: list[tuple[int, str]] = []
    path: list[tuple[int, str]] = []
    offset, in_fence = 0, False
    for line in text.splitlines(keepends=True):
        stripped = line.rstrip("\r\n")
        if FENCE.match(stripped):
            in_fence = not in_fence
        elif not in_fence and (m := HEADING.match(stripped)):
            level = len(m.group(1))
            path = [(lv, h) for lv, h in path if lv < level] + [(level, m.group(2).strip())]
            sections.append((offset, " > ".join(h for _, h in path)))
        offset += len(line)
    return sections


def markdown_title(text: str, fallback: str) -> str:
    for line in text.splitlines()[:20]:
        if line.startswith("# "):
            return line[2:].strip()
    return fallback


# --- readers --------------------------------------------------------------------------------------------------

def read_text_file(path: Path, rel: str, data: bytes, markdown: bool) -> Document:
    decoded = decode(data)
    text = decoded.text
    meta: dict[str, Any] = {"path": rel, "format": "markdown" if markdown else "text",
                            "encoding": decoded.encoding}
    title = path.stem
    if markdown:
        title = markdown_title(text, path.stem)
        if sections := markdown_sections(text):
            meta["sections"] = sections
    return Document(id=rel, text=text, title=title, meta=meta)


def read_pdf(path: Path, rel: str, data: bytes, page_separator: str = "\n\n") -> Document:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:
        raise Unreadable(f"PDF support is not installed ({DOCS_EXTRA})") from None
    import io

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise Unreadable("an encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
        info_title = (reader.metadata.title if reader.metadata else None) or ""
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise Unreadable(f"not a readable PDF ({type(exc).__name__}: {exc})") from None
    if not any(p.strip() for p in pages):
        raise Unreadable(f"a PDF of {len(pages)} page(s) with no extractable text (scanned images need OCR)")
    starts, parts, offset = [], [], 0
    for text in pages:
        starts.append(offset)
        parts.append(text)
        offset += len(text) + len(page_separator)
    meta = {"path": rel, "format": "pdf", "pages": starts, "page_count": len(pages)}
    return Document(id=rel, text=page_separator.join(parts), title=str(info_title).strip() or path.stem, meta=meta)


def read_html(path: Path, rel: str, data: bytes, favor: str = "balanced", tables: bool = True) -> Document:
    try:
        import trafilatura
    except ImportError:
        raise Unreadable(f"HTML support is not installed ({DOCS_EXTRA})") from None
    html = decode(data).text
    text = trafilatura.extract(html, output_format="markdown", include_formatting=True, include_tables=tables,
                               include_comments=False, favor_precision=favor == "precision",
                               favor_recall=favor == "recall")
    if not text or not text.strip():
        raise Unreadable("an HTML page with no main text")
    metadata = trafilatura.extract_metadata(html)
    title = (metadata.title if metadata and metadata.title else "") or markdown_title(text, path.stem)
    meta: dict[str, Any] = {"path": rel, "format": "html"}
    if sections := markdown_sections(text):
        meta["sections"] = sections
    return Document(id=rel, text=text, title=title, meta=meta)


# --- where a chunk is -----------------------------------------------------------------------------------------

SPAN_KEYS = ("pages", "sections")


def locate(meta: dict[str, Any], start: int) -> dict[str, Any]:
    """The page (1-based) and heading path of the text at `start` of a document with these meta fields."""
    where: dict[str, Any] = {}
    if pages := meta.get("pages"):
        where["page"] = bisect.bisect_right(pages, start)
    if sections := meta.get("sections"):
        i = bisect.bisect_right([s[0] for s in sections], start) - 1
        if i >= 0:
            where["heading_path"] = sections[i][1]
    return where


CITATION_KEYS = ("path", "page", "heading_path")


def citation(meta: dict[str, Any]) -> dict[str, Any]:
    """The fields of a chunk's meta that say where its text is (retrieve puts them on each hit)."""
    return {k: meta[k] for k in CITATION_KEYS if k in meta}


def chunk_meta(doc_meta: dict[str, Any], start: int) -> dict[str, Any]:
    """A chunk's meta: its document's, less the per-document span lists, plus where the chunk starts."""
    meta = {k: v for k, v in doc_meta.items() if k not in SPAN_KEYS}
    meta.update(locate(doc_meta, start))
    return meta
