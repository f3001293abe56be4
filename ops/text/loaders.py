"""Loader ops: a folder of text files, JSONL records, and question sets with gold answers and evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pipec.compiler.op import Op, Out, PathParam
from pipec.ops.data import Document, Question
from pydantic import Field

from .datasets import READERS, DataError, Parsed, iter_jsonl, need, read_metaqa, string_list
from .sampling import SubsetParams, subset

TEXT_SUFFIXES = (".md", ".txt")
Format = Literal["auto", "pipec", "jsonl", "hotpotqa", "musique", "squad", "nq_open", "metaqa"]


# --- documents ------------------------------------------------------------------------------------------------

def markdown_title(text: str, fallback: str) -> str:
    for line in text.splitlines()[:20]:
        if line.startswith("# "):
            return line[2:].strip()
    return fallback


def read_folder(folder: Path, suffixes: tuple[str, ...] = TEXT_SUFFIXES) -> list[Document]:
    if not folder.is_dir():
        raise DataError(folder, "not a folder")
    docs = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in suffixes):
        rel = path.relative_to(folder).as_posix()
        if any(part.startswith(".") for part in Path(rel).parts):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        docs.append(Document(id=rel, text=text, title=markdown_title(text, path.stem), meta={"path": rel}))
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
    candidates = sorted(p for p in path.iterdir() if p.is_file() and "corpus" not in p.name)
    for p in candidates:
        try:
            return detect_format(p)
        except DataError:
            continue
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

class LoadFolder(Op):
    """Load every .md/.txt file under a folder as a document (id = relative path, title = first '# ' heading)."""

    name = "load.folder"
    version = "1"

    class Params(SubsetParams):
        path: PathParam = Field(description="folder to read (relative to the YAML file)")
        suffixes: list[str] = Field(list(TEXT_SUFFIXES), description="file name endings to read")

    outputs = {"documents": Out("Documents")}

    def run(self, ctx, **_):
        p = self.params
        docs = read_folder(ctx.resolve_path(p.path), tuple(s.lower() for s in p.suffixes))
        return {"documents": subset(docs, p.limit, p.sample, p.seed)}


class LoadJsonl(Op):
    """Load documents from a JSONL file, one record a line (`text_field` required; other fields go to meta)."""

    name = "load.jsonl"
    version = "1"

    class Params(SubsetParams):
        path: PathParam = Field(description="a .jsonl or .jsonl.gz file")
        text_field: str = Field("text", description="field holding the text")
        id_field: str | None = Field("id", description="field holding the id (None: the line number)")
        title_field: str | None = Field("title", description="field holding the title, when present")

    outputs = {"documents": Out("Documents")}

    def run(self, ctx, **_):
        p = self.params
        docs = read_jsonl_documents(ctx.resolve_path(p.path), p.text_field, p.id_field, p.title_field)
        return {"documents": subset(docs, p.limit, p.sample, p.seed)}


class LoadDataset(Op):
    """Load a question set and its passages: the project's layout (questions.jsonl + docs/), JSONL, HotpotQA,
    MuSiQue, SQuAD, NQ-open or MetaQA, detected from the file names (`format: auto`). `limit`/`sample` pick
    the questions; the corpus is every passage in the file(s)."""

    name = "load.dataset"
    version = "1"

    class Params(SubsetParams):
        path: PathParam = Field(description="a data folder or file (relative to the YAML file)")
        format: Format = Field("auto", description="the file format; auto detects it from the file names")
        include_unanswerable: bool = Field(False, description="SQuAD 2.0: keep questions without an answer")

    outputs = {"documents": Out("Documents", "the passages (pooled, deduplicated)"),
               "questions": Out("Questions", "questions with answer aliases and gold evidence")}

    def run(self, ctx, **_):
        p = self.params
        docs, questions = read_dataset(ctx.resolve_path(p.path), p.format, p.include_unanswerable)
        if not questions:
            raise DataError(p.path, "no questions found")
        return {"documents": docs, "questions": subset(questions, p.limit, p.sample, p.seed)}


class LoadQuestions(LoadDataset):
    """Load only the questions of a question set (see load.dataset for the formats)."""

    name = "load.questions"
    outputs = {"questions": Out("Questions", "questions with answer aliases and gold evidence")}

    def run(self, ctx, **_):
        return {"questions": super().run(ctx)["questions"]}
