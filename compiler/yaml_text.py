"""Bytes of a graph file -> text, refusing what is not UTF-8 YAML with the file, the line and the fix.

A pipeline file must be UTF-8 text (a UTF-8 byte-order mark is accepted and dropped). Everything else is
refused before the YAML parser sees it: a file over the size limit, a UTF-16/32 file (by its byte-order mark),
a binary file (gzip, zip, PDF, an executable, or any NUL byte), bytes that are not UTF-8 (the byte offset, the
line and the likely encoding), and control characters YAML does not allow.

Limits are environment settings (see docs/input-limits.md):
    PIPEC_YAML_MAX_MB      largest graph file read, in MB (default 8)
"""

from __future__ import annotations

import os
import re

from .errors import CompileError, Diagnostic, Location

DEFAULT_MAX_MB = 8.0
SAVE_AS_UTF8 = "save it as UTF-8"

_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"),
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
    (b"\xff\xfe", "UTF-16 (little-endian)"),
    (b"\xfe\xff", "UTF-16 (big-endian)"),
)
_MAGIC = (
    (b"\x1f\x8b", "a gzip file"),
    (b"PK\x03\x04", "a zip file"),
    (b"%PDF", "a PDF file"),
    (b"\x7fELF", "an executable (ELF)"),
    (b"MZ", "a Windows executable"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"SQLite format 3\x00", "an SQLite database"),
)
# What YAML 1.1 does not allow in a stream (tab, LF, CR and NEL are fine).
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def max_bytes() -> int:
    raw = os.environ.get("PIPEC_YAML_MAX_MB", "")
    try:
        mb = float(raw) if raw.strip() else DEFAULT_MAX_MB
    except ValueError:
        mb = DEFAULT_MAX_MB
    return int(max(mb, 1e-6) * 1024 * 1024)


def _fail(file: str, line: int, col: int, message: str, fix: str | None = None) -> CompileError:
    return CompileError([Diagnostic(message, Location(file, line, col), fix=fix)])


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    return line, offset - start + 1


def check_size(size: int, file: str) -> None:
    limit = max_bytes()
    if size > limit:
        raise _fail(file, 1, 1, f"the file is {size / 1048576:.1f} MB; graph files are limited to "
                    f"{limit / 1048576:g} MB", "split the data out of the graph (load it with an op), or raise "
                    "the limit with PIPEC_YAML_MAX_MB")


def decode_yaml_bytes(data: bytes, file: str) -> str:
    """The text of a graph file, or a CompileError saying exactly what is wrong and where."""
    check_size(len(data), file)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise _fail(file, 1, 1, f"the file is {name} text (byte-order mark at byte offset 0), not UTF-8",
                        SAVE_AS_UTF8)
    for magic, name in _MAGIC:
        if data.startswith(magic):
            raise _fail(file, 1, 1, f"this is {name}, not a YAML text file", "point the command at the graph's "
                        ".yaml file")
    nul = data.find(b"\x00")
    if nul >= 0:
        line, col = _line_col(data, nul)
        raise _fail(file, line, col, f"NUL byte at byte offset {nul}: this is a binary file, not YAML text",
                    f"remove it, or {SAVE_AS_UTF8} text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(data, exc.start)
        guess = _guess_encoding(data)
        what = f" (it looks like {guess})" if guess else ""
        raise _fail(file, line, col, f"the file is not UTF-8: byte 0x{data[exc.start]:02x} at byte offset "
                    f"{exc.start} cannot be decoded{what}", SAVE_AS_UTF8) from None
    bad = _FORBIDDEN.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        col = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise _fail(file, line, col, f"control character U+{ord(bad.group()):04X} is not allowed in YAML",
                    "remove it (copied from a terminal or a chat window?)")
    return text


def _guess_encoding(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a core dependency
        return None
    best = from_bytes(data[:65536]).best()
    return best.encoding.replace("_", "-") if best is not None else None
