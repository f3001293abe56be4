"""Loader ops: a folder of text files, JSONL records, and question sets with gold answers and evidence."""

from __future__ import annotations

import json
import os
import stat
from collections import Counter
from dataclasses import dataclass, field
from fnmatch import fnmatch
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pipec.compiler.fingerprint import hash_text
from pipec.compiler.op import Op, OpParams, Out, PathParam
from pipec.ops.data import Document, Question
from pydantic import Field

from .datasets import READERS, DataError, Parsed, iter_jsonl, need, read_metaqa, string_list
from .documents import FORMATS, Unreadable, decode, read_html, read_pdf, read_text_file
from .folderreuse import FolderReuse, folder_reuse, record_reuse
from .sampling import SplitParams, SubsetParams, split_part, subset

TEXT_SUFFIXES = (".md", ".txt")
DOCUMENT_SUFFIXES = (".md", ".txt", ".pdf", ".html", ".htm", ".jsonl")
Format = Literal["auto", "pipec", "jsonl", "hotpotqa", "musique", "squad", "nq_open", "metaqa"]


# --- documents ------------------------------------------------------------------------------------------------

class JsonlOptions(OpParams):
    text_field: str = Field("text", description="field holding the text")
    id_field: str | None = Field("id", description="field holding the id (None: file path and line number)")
    title_field: str | None = Field("title", description="field holding the title, when present")


class HtmlOptions(OpParams):
    favor: Literal["balanced", "precision", "recall"] = Field(
        "balanced", description="trafilatura's trade-off between leaving out boilerplate and keeping text")
    tables: bool = Field(True, description="keep the text of tables")


class PdfOptions(OpParams):
    page_separator: str = Field("\n\n", description="text put between pages")


@dataclass
class FolderReport:
    """What a folder read did: files read per format, files skipped and why."""

    read: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    reused: int = 0  # PDF/HTML files whose extraction came from the part cache
    unchanged: int = 0  # files whose documents came from the previous read (content hash unchanged)

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {fmt}" for fmt, n in sorted(self.read.items()))
        text = f"read {sum(self.read.values())} file(s)" + (f" ({kinds})" if kinds else "")
        if self.unchanged:
            text += f", {self.unchanged} unchanged since the previous run (not read again)"
        if self.reused:
            text += f", {self.reused} unchanged PDF/HTML file(s) not extracted again"
        if self.skipped:
            reasons = Counter(reason.split(" (")[0] for _, reason in self.skipped)
            text += f", skipped {len(self.skipped)}: " + ", ".join(f"{n} {r}" for r, n in reasons.most_common())
        return text


@dataclass
class FolderOptions:
    suffixes: tuple[str, ...] = DOCUMENT_SUFFIXES
    include: tuple[str, ...] = ("**/*",)
    exclude: tuple[str, ...] = ()
    on_error: str = "skip"
    jsonl: JsonlOptions = field(default_factory=JsonlOptions)
    html: HtmlOptions = field(default_factory=HtmlOptions)
    pdf: PdfOptions = field(default_factory=PdfOptions)


def folder_files(folder: Path, options: FolderOptions, report: FolderReport) -> list[tuple[Path, str]]:
    """(path, relative posix path) of the files to read, sorted as paths sort; hidden files and folders are left
    out, symbolic links to folders are not followed."""
    out = []
    for rel in sorted(_candidates(folder, options.suffixes), key=lambda rel: rel.split("/")):
        if not any(fnmatch(rel, g) or fnmatch(rel, g.removeprefix("**/")) for g in options.include):
            continue
        if any(fnmatch(rel, g) or fnmatch(rel, g.removeprefix("**/")) for g in options.exclude):
            continue
        full = os.path.join(folder, rel)
        try:
            is_file = stat.S_ISREG(os.stat(full).st_mode)
        except OSError:
            if os.path.islink(full):
                report.skipped.append((rel, f"a dangling symbolic link (to {os.readlink(full)})"))
            continue
        if is_file:
            out.append((folder / rel, rel))
    return out


def _candidates(folder: Path, suffixes: tuple[str, ...]) -> list[str]:
    """Relative posix paths of the non-hidden entries below `folder` whose suffix is one of `suffixes`."""
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel_root = os.path.relpath(root, folder)
        prefix = "" if rel_root == "." else rel_root.replace(os.sep, "/") + "/"
        found.extend(prefix + name for name in names
                     if not name.startswith(".") and _suffix(name).lower() in suffixes)
    return found


def _suffix(name: str) -> str:
    """What `Path(name).suffix` is, without making a Path."""
    i = name.rfind(".")
    return name[i:] if 0 < i < len(name) - 1 else ""


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise Unreadable(f"cannot be read ({exc.strerror or exc})") from None


def read_document_file(path: Path, rel: str, options: FolderOptions, data: bytes | None = None,
                       digest: str | None = None) -> list[Document]:
    """The documents of one file (one, or one per record of a .jsonl file); raises Unreadable."""
    data = read_bytes(path) if data is None else data
    fmt = FORMATS.get(path.suffix.lower(), "text")
    if fmt == "pdf":
        docs = [read_pdf(path, rel, data, options.pdf.page_separator)]
    elif fmt == "html":
        docs = [read_html(path, rel, data, options.html.favor, options.html.tables)]
    elif fmt == "jsonl":
        docs = jsonl_documents(path, rel, data, options.jsonl)
    else:
        docs = [read_text_file(path, rel, data, markdown=fmt == "markdown")]
    digest = digest or hash_text(data)
    for doc in docs:
        doc.meta.setdefault("path", rel)
        doc.meta["sha256"] = digest
    return docs


def jsonl_documents(path: Path, rel: str, data: bytes, options: JsonlOptions) -> list[Document]:
    decoded = decode(data)
    docs = []
    for lineno, line in enumerate(decoded.text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError as exc:
            raise Unreadable(f"line {lineno} is not JSON ({exc})") from None
        where = f"at line {lineno}"
        text = need(rec, options.text_field, str, path, where)
        doc_id = str(need(rec, options.id_field, (str, int), path, where)) if options.id_field else f"{rel}:{lineno}"
        title = str(rec.get(options.title_field) or "") if options.title_field else ""
        meta = {k: v for k, v in rec.items() if k not in (options.text_field, options.id_field, options.title_field)}
        docs.append(Document(id=doc_id, text=text, title=title, meta={**meta, "path": rel, "line": lineno}))
    return docs


# Formats whose extraction costs more than a cache lookup: memoized per file by content (see PartCache).
MEMOIZED_FORMATS = ("pdf", "html")


@cache
def parser_version() -> str:
    """The code that turns a file into documents (this module and documents.py): part of each file's memo key."""
    from pipec.compiler.fingerprint import hash_text

    from . import documents

    return hash_text(Path(__file__).read_bytes() + Path(documents.__file__).read_bytes())[:16]


def part_key(rel: str, fmt: str, digest: str, options: FolderOptions) -> str:
    from pipec.compiler.fingerprint import hash_value

    settings = options.pdf if fmt == "pdf" else options.html
    return hash_value({"part": "load.folder", "code": parser_version(), "format": fmt, "path": rel,
                       "sha256": digest, "options": settings.model_dump()})


def read_folder(folder: Path, suffixes: tuple[str, ...] = TEXT_SUFFIXES, options: FolderOptions | None = None,
                report: FolderReport | None = None, parts: Any = None, node: str = "",
                reuse: FolderReuse | None = None) -> list[Document]:
    """Every document under `folder` (see FolderOptions); unreadable files are skipped into `report`, or raise
    DataError naming the file when `on_error` is "fail". With `parts` (ctx.cache.parts), PDF and HTML files whose
    content was extracted before are not extracted again; with `reuse` (folderreuse.py), files unchanged since
    the previous read are not read at all."""
    if not folder.is_dir():
        raise DataError(folder, "not a folder")
    options = options or FolderOptions(suffixes=suffixes)
    report = report if report is not None else FolderReport()
    listed = folder_files(folder, options, report)
    known = reuse.hashes([path for path, _ in listed]) if reuse is not None else [None] * len(listed)
    files, keys = [], {}
    for (path, rel), digest in zip(listed, known, strict=True):
        previous = reuse.lookup(rel, digest) if reuse is not None else None
        if previous is not None:
            files.append((path, rel, previous, digest))
            continue
        try:
            data = read_bytes(path)
        except Unreadable as exc:
            data = exc
        digest = hash_text(data) if isinstance(data, bytes) else None
        fmt = FORMATS.get(path.suffix.lower(), "text")
        if parts is not None and fmt in MEMOIZED_FORMATS and digest is not None:
            keys[rel] = part_key(rel, fmt, digest, options)
        files.append((path, rel, data, digest))
    stored = parts.get(list(keys.values())) if keys else {}
    docs: list[Document] = []
    for path, rel, data, digest in files:
        try:
            if isinstance(data, Exception):
                raise data
            key = keys.get(rel)
            if isinstance(data, list):  # unchanged since the previous read
                found = data
                report.unchanged += 1
            elif key in stored:
                found = stored[key]["documents"]
                report.reused += 1
            else:
                found = read_document_file(path, rel, options, data, digest)
                if key is not None:
                    parts.put(key, "load.folder", node, {"documents": found})
        except Unreadable as exc:
            if options.on_error == "fail":
                raise DataError(path, f"{exc} (set on_error: skip to leave such files out)") from None
            report.skipped.append((rel, str(exc)))
            continue
        fmt = FORMATS.get(path.suffix.lower(), "text")
        report.read[fmt] = report.read.get(fmt, 0) + 1
        if reuse is not None:
            reuse.note(rel, digest, len(docs), len(docs) + len(found))
        docs.extend(found)
    if options.on_error == "fail" and report.skipped:
        rel, reason = report.skipped[0]
        raise DataError(folder / rel, f"{reason} (set on_error: skip to leave such files out)")
    return docs


def read_jsonl_documents(path: Path, text_field: str, id_field: str | None, title_field: str | None) -> list[Document]:
    docs = []
    for lineno, rec in iter_jsonl(path):
        where = f"at line {lineno}"
        text = need(rec, text_field, str, path, where)
        doc_id = str(need(rec, id_field, (str, int), path, where)) if id_field else str(lineno)
        title = need(rec, title_field, str, path, where) if title_field and title_field in rec else ""
        meta = {k: v for k, v in rec.items() if k not in (text_field, id_field, title_field)}
        docs.append(Document(id=doc_id, text=text, title=title, meta=meta))
    return docs


# --- questions ------------------------------------------------------------------------------------------------

def read_jsonl_questions(path: Path) -> list[Question]:
    """One question a line: `question` (required), `id`, `answers` (or `answer`), `gold_titles`, `gold_ids`."""
    out = []
    for lineno, rec in iter_jsonl(path):
        where = f"at line {lineno}"
        answers = string_list(rec.get("answers", rec.get("answer")), path, where, "answers")
        out.append(Question(
            id=str(rec.get("id", lineno)), question=need(rec, "question", str, path, where), answers=answers,
            gold_titles=string_list(rec.get("gold_titles"), path, where, "gold_titles"),
            gold_ids=string_list(rec.get("gold_ids"), path, where, "gold_ids"),
            topic_entities=string_list(rec.get("topic_entities"), path, where, "topic_entities"),
            meta=rec.get("meta") if isinstance(rec.get("meta"), dict) else {}))
    return out


def read_pipec(folder: Path) -> Parsed:
    """The project's own layout: `questions.jsonl` beside a `docs/` folder of .md/.txt files."""
    docs_dir = folder / "docs"
    return read_folder(docs_dir if docs_dir.is_dir() else folder), read_jsonl_questions(folder / "questions.jsonl")


def detect_format(path: Path) -> tuple[str, Path]:
    """(format, file or folder to read) for a data file or folder."""
    if path.is_file():
        name = path.name.lower()
        for fmt in ("hotpot", "musique", "squad", "nq"):
            if name.startswith(fmt):
                return {"hotpot": "hotpotqa", "nq": "nq_open"}.get(fmt, fmt), path
        if name.startswith("qa_") and name.endswith(".txt"):
            return "metaqa", path
        if name.endswith((".jsonl", ".jsonl.gz")):
            return "jsonl", path
        raise DataError(path, "cannot tell the format from the file name; set `format:`")
    if not path.is_dir():
        raise DataError(path, "no such file or folder")
    if (path / "questions.jsonl").exists():
        return "pipec", path
    if list(path.glob("qa_*.txt")):
        return "metaqa", path
    found = []
    for p in sorted(p for p in path.iterdir() if p.is_file() and "corpus" not in p.name):
        try:
            found.append(detect_format(p))
        except DataError:
            continue
    if len(found) == 1:
        return found[0]
    if found:
        names = ", ".join(f.name for _, f in found)
        raise DataError(path, f"holds {len(found)} question sets ({names}); set `file:` to the one to read")
    raise DataError(path, "no known question set here (questions.jsonl, hotpot*.json, musique*.json, squad*.json, "
                          "nq*.jsonl[.gz], qa_*hop.txt); set `format:` and point `path` at the file")


def read_dataset(path: Path, fmt: str = "auto", include_unanswerable: bool = False) -> Parsed:
    if fmt == "auto":
        fmt, path = detect_format(path)
    elif fmt == "pipec" and path.is_file():
        path = path.parent
    elif path.is_dir():
        detected, file = detect_format(path)
        path = file if detected == fmt else path
    if fmt == "pipec":
        return read_pipec(path)
    if fmt == "metaqa":
        return read_metaqa(path)
    if fmt == "jsonl":
        return [], read_jsonl_questions(path)
    if fmt == "squad":
        return READERS["squad"](path, include_unanswerable)
    return READERS[fmt](path)


# --- ops ------------------------------------------------------------------------------------------------------

def part_cache(ctx: Any) -> Any:
    """The run's per-file result cache (ctx.cache.parts), or None outside a run."""
    return getattr(getattr(ctx, "cache", None), "parts", None)


class LoadFolder(Op):
    """Load the documents under a folder: .md (with section heading paths), .txt (any common encoding, detected),
    .pdf (text per page; page numbers reach the chunks), .html/.htm (main content, boilerplate removed; title and
    headings kept) and .jsonl (a document per record). One document per file, id = its relative path. Empty, binary
    and undecodable files are skipped with a warning naming each (`on_error: fail` stops the node instead)."""

    name = "load.folder"

    class Params(SubsetParams):
        path: PathParam = Field(description="folder to read (relative to the YAML file)")
        suffixes: list[str] = Field(list(DOCUMENT_SUFFIXES), description="file name endings to read")
        include: list[str] = Field(["**/*"], description="glob patterns of relative paths to read")
        exclude: list[str] = Field([], description="glob patterns of relative paths to leave out")
        on_error: Literal["skip", "fail"] = Field("skip", description="an unreadable file: skip it with a "
                                                  "warning, or fail the node naming it")
        jsonl: JsonlOptions = Field(JsonlOptions(), description="fields of .jsonl records")
        html: HtmlOptions = Field(HtmlOptions(), description="main-content extraction of .html files")
        pdf: PdfOptions = Field(PdfOptions(), description="text extraction of .pdf files")

    outputs = {"documents": Out("Documents")}

    def run(self, ctx, **_):
        p = self.params
        options = FolderOptions(tuple(s.lower() for s in p.suffixes), tuple(p.include), tuple(p.exclude),
                                p.on_error, p.jsonl, p.html, p.pdf)
        report = FolderReport()
        reuse = folder_reuse(ctx, self, parser_version())
        docs = read_folder(ctx.resolve_path(p.path), options=options, report=report,
                           parts=part_cache(ctx), node=getattr(ctx, "node", ""), reuse=reuse)
        record_reuse(ctx, self, parser_version(), reuse)
        for rel, reason in report.skipped:
            ctx.warn(f"skipped {rel}: {reason}")
        ctx.log(report.summary())
        if not docs:
            raise DataError(p.path, f"no documents: {report.summary()} (suffixes {', '.join(p.suffixes)})")
        return {"documents": subset(docs, p.limit, p.sample, p.seed, p.offset)}


class LoadJsonl(Op):
    """Load documents from a JSONL file, one record a line (`text_field` required; other fields go to meta)."""

    name = "load.jsonl"

    class Params(SubsetParams):
        path: PathParam = Field(description="a .jsonl or .jsonl.gz file")
        text_field: str = Field("text", description="field holding the text")
        id_field: str | None = Field("id", description="field holding the id (None: the line number)")
        title_field: str | None = Field("title", description="field holding the title, when present")

    outputs = {"documents": Out("Documents")}

    def run(self, ctx, **_):
        p = self.params
        docs = read_jsonl_documents(ctx.resolve_path(p.path), p.text_field, p.id_field, p.title_field)
        return {"documents": subset(docs, p.limit, p.sample, p.seed, p.offset)}


class LoadDataset(Op):
    """Load a question set and its passages: the project's layout (questions.jsonl + docs/), JSONL, HotpotQA,
    MuSiQue, SQuAD, NQ-open or MetaQA, detected from the file names (`format: auto`). `limit`/`sample` pick
    the questions; the corpus is every passage in the file(s)."""

    name = "load.dataset"

    class Params(SubsetParams):
        path: PathParam = Field(description="a data folder or file (relative to the YAML file)")
        file: str | None = Field(None, description="the question file inside the `path` folder (needed when the "
                                                   "folder holds several question sets)")
        format: Format = Field("auto", description="the file format; auto detects it from the file names")
        include_unanswerable: bool = Field(False, description="SQuAD 2.0: keep questions without an answer")
        split: SplitParams | None = Field(None, description="keep one part of a seeded tuning/validation split "
                                                            "of the questions (before limit/sample; set by "
                                                            "pipe tune from tune.validation)")

    outputs = {"documents": Out("Documents", "the passages (pooled, deduplicated)"),
               "questions": Out("Questions", "questions with answer aliases and gold evidence")}

    def run(self, ctx, **_):
        p = self.params
        path = ctx.resolve_path(p.path)
        if p.file:
            path = path / p.file
            if not path.is_file():
                raise DataError(path, "no such file (`file:` is a name inside the `path` folder)")
        docs, questions = read_dataset(path, p.format, p.include_unanswerable)
        if not questions:
            raise DataError(p.path, "no questions found")
        questions = split_part(questions, p.split)
        return {"documents": docs, "questions": subset(questions, p.limit, p.sample, p.seed, p.offset)}


class LoadQuestions(LoadDataset):
    """Load only the questions of a question set (see load.dataset for the formats)."""

    name = "load.questions"
    outputs = {"questions": Out("Questions", "questions with answer aliases and gold evidence")}

    def run(self, ctx, **_):
        return {"questions": super().run(ctx)["questions"]}
