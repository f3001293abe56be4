"""Readers for question sets with gold answers and gold evidence, in the common public formats.

Each reader returns (documents, questions): the documents are the passages the questions come with (pooled,
deduplicated), the questions carry answer aliases and gold evidence (titles and passage ids). A malformed file
raises `DataError` naming the file, the record and the field.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pipec.compiler.errors import PipeError
from pipec.ops.data import Document, Question

Parsed = tuple[list[Document], list[Question]]


class DataError(PipeError):
    """A data file is malformed: names the file, the record and the field."""

    def __init__(self, file: Path | str, message: str, record: Any = None, field: str | None = None):
        where = str(file) + (f", record {record}" if record is not None else "")
        where += f", field '{field}'" if field else ""
        super().__init__(f"{where}: {message}")


def passage_id(title: str, text: str) -> str:
    return "p" + hashlib.sha1(f"{title}\n{text}".encode()).hexdigest()[:12]


def read_json(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        raise DataError(path, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except UnicodeDecodeError as exc:
        raise DataError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, record) for every non-blank line of a .jsonl or .jsonl.gz file."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(path, f"invalid JSON: {exc.msg} (column {exc.colno})", f"at line {lineno}") \
                        from None
                if not isinstance(record, dict):
                    raise DataError(path, f"expected a JSON object, got {type(record).__name__}", f"at line {lineno}")
                yield lineno, record
    except UnicodeDecodeError as exc:
        raise DataError(path, f"not UTF-8 text ({exc.reason})") from None


def need(record: dict, field: str, kind: type | tuple[type, ...], file: Path, where: Any) -> Any:
    """record[field], checked for presence and type."""
    if not isinstance(record, dict):
        raise DataError(file, f"expected an object, got {type(record).__name__}", where)
    if field not in record:
        raise DataError(file, "missing", where, field)
    value = record[field]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise DataError(file, f"expected {names}, got {type(value).__name__}", where, field)
    return value


def string_list(value: Any, file: Path, where: Any, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise DataError(file, "expected a string or a list of strings", where, field)


class _Pool:
    """Deduplicated documents in first-seen order."""

    def __init__(self):
        self.docs: dict[str, Document] = {}

    def add(self, doc_id: str, title: str, text: str, **meta: Any) -> str:
        if doc_id not in self.docs:
            self.docs[doc_id] = Document(id=doc_id, text=text, title=title, meta=meta)
        return doc_id


# --- HotpotQA -------------------------------------------------------------------------------------------------

def read_hotpotqa(path: Path) -> Parsed:
    data = read_json(path)
    if not isinstance(data, list):
        raise DataError(path, "expected a list of HotpotQA questions")
    pool, questions = _Pool(), []
    for i, rec in enumerate(data):
        where = f"#{i} (id {rec.get('_id', '?')})" if isinstance(rec, dict) else f"#{i}"
        context = need(rec, "context", list, path, where)
        for j, para in enumerate(context):
            if not (isinstance(para, list) and len(para) == 2 and isinstance(para[0], str)
                    and isinstance(para[1], list)):
                raise DataError(path, f"paragraph {j} must be [title, [sentences]]", where, "context")
            pool.add(para[0], para[0], "".join(para[1]))
        facts = need(rec, "supporting_facts", list, path, where)
        gold = list(dict.fromkeys(f[0] for f in facts if isinstance(f, list) and f))
        questions.append(Question(
            id=str(rec.get("_id", i)), question=need(rec, "question", str, path, where),
            answers=[need(rec, "answer", str, path, where)], gold_titles=gold, gold_ids=list(gold),
            meta={"type": rec.get("type"), "level": rec.get("level")}))
    return list(pool.docs.values()), questions


# --- MuSiQue --------------------------------------------------------------------------------------------------

def read_musique(path: Path) -> Parsed:
    data = [rec for _, rec in iter_jsonl(path)] if path.name.endswith((".jsonl", ".jsonl.gz")) else read_json(path)
    records = data if isinstance(data, list) else None
    if records is None:
        raise DataError(path, "expected a list of MuSiQue questions")
    pool, questions = _Pool(), []
    for i, rec in enumerate(records):
        where = f"#{i} (id {rec.get('id', '?')})" if isinstance(rec, dict) else f"#{i}"
        gold_titles, gold_ids = [], []
        for j, para in enumerate(need(rec, "paragraphs", list, path, where)):
            title = need(para, "title", str, path, f"{where} paragraph {j}")
            text = need(para, "paragraph_text", str, path, f"{where} paragraph {j}")
            pid = pool.add(passage_id(title, text), title, text)
            if para.get("is_supporting"):
                gold_titles.append(title)
                gold_ids.append(pid)
        answers = [need(rec, "answer", str, path, where)] + string_list(rec.get("answer_aliases"), path, where,
                                                                        "answer_aliases")
        hops = len(rec.get("question_decomposition") or []) or None
        questions.append(Question(
            id=str(rec.get("id", i)), question=need(rec, "question", str, path, where),
            answers=list(dict.fromkeys(answers)), gold_titles=list(dict.fromkeys(gold_titles)), gold_ids=gold_ids,
            meta={"hops": hops, "answerable": rec.get("answerable", True)}))
    return list(pool.docs.values()), questions


# --- SQuAD (v1.1 and v2.0) --------------------------------------------------------------------------------------

def read_squad(path: Path, include_unanswerable: bool = False) -> Parsed:
    data = read_json(path)
    articles = need(data, "data", list, path, "top level")
    pool, questions = _Pool(), []
    for a, article in enumerate(articles):
        title = need(article, "title", str, path, f"article {a}")
        for p, para in enumerate(need(article, "paragraphs", list, path, f"article {a}")):
            where = f"article {a} paragraph {p}"
            doc_id = pool.add(f"{title}#{p}", title, need(para, "context", str, path, where))
            for q, qa in enumerate(need(para, "qas", list, path, where)):
                qwhere = f"{where} question {q}"
                answers = [need(x, "text", str, path, qwhere) for x in need(qa, "answers", list, path, qwhere)]
                if not answers and not include_unanswerable:
                    continue
                questions.append(Question(
                    id=str(qa.get("id", f"{a}-{p}-{q}")), question=need(qa, "question", str, path, qwhere),
                    answers=list(dict.fromkeys(answers)), gold_titles=[title], gold_ids=[doc_id],
                    meta={"unanswerable": not answers}))
    return list(pool.docs.values()), questions


# --- Natural Questions (open), with oracle contexts ---------------------------------------------------------------

def read_nq_open(path: Path) -> Parsed:
    pool, questions = _Pool(), []
    for lineno, rec in iter_jsonl(path):
        where = f"at line {lineno}"
        gold_titles, gold_ids = [], []
        for j, ctx in enumerate(rec.get("ctxs") or []):
            title = need(ctx, "title", str, path, f"{where} ctx {j}")
            text = need(ctx, "text", str, path, f"{where} ctx {j}")
            pid = pool.add(passage_id(title, text), title, text)
            if ctx.get("isgold", ctx.get("hasanswer", False)):
                gold_titles.append(title)
                gold_ids.append(pid)
        questions.append(Question(
            id=str(rec.get("id", lineno)), question=need(rec, "question", str, path, where),
            answers=string_list(need(rec, "answers", (list, str), path, where), path, where, "answers"),
            gold_titles=list(dict.fromkeys(gold_titles)), gold_ids=gold_ids))
    return list(pool.docs.values()), questions


# --- MetaQA -------------------------------------------------------------------------------------------------------

_TOPIC = re.compile(r"\[([^\]]+)\]")


def read_metaqa_questions(path: Path) -> list[Question]:
    """`question with [topic entity]<TAB>answer1|answer2` lines."""
    questions = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            text, tab, answers = line.rstrip("\n").partition("\t")
            if not tab:
                raise DataError(path, "expected 'question<TAB>answers'", f"at line {lineno}", "answers")
            topics = _TOPIC.findall(text)
            questions.append(Question(
                id=f"{path.stem}-{lineno}", question=_TOPIC.sub(r"\1", text).strip(),
                answers=[a for a in answers.split("|") if a], gold_titles=topics, gold_ids=list(topics),
                topic_entities=topics, meta={"hops": _hops(path.name)}))
    return questions


def _hops(name: str) -> int | None:
    m = re.search(r"(\d)hop", name)
    return int(m.group(1)) if m else None


def read_metaqa_kb(path: Path) -> list[Document]:
    """The KB as text: one document per head entity, one sentence per triple."""
    facts: dict[str, list[str]] = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            parts = line.rstrip("\n").split("|")
            if len(parts) != 3:
                raise DataError(path, "expected 'head|relation|tail'", f"at line {lineno}")
            head, rel, tail = parts
            facts.setdefault(head, []).append(f"{head} {rel.replace('_', ' ')} {tail}.")
    return [Document(id=head, title=head, text=" ".join(lines)) for head, lines in facts.items()]


def read_metaqa(path: Path, hops: int | None = None) -> Parsed:
    """A MetaQA folder (every qa_*.txt question file) or one question file; kb.txt beside them as documents."""
    folder = path.parent if path.is_file() else path
    files = [path] if path.is_file() else sorted(folder.glob("qa_*.txt"))
    if hops is not None:
        files = [f for f in files if _hops(f.name) == hops]
    if not files:
        raise DataError(folder, "no MetaQA question file qa_*_{1,2,3}hop.txt" + (f" for {hops} hops" if hops else ""))
    questions = [q for f in files for q in read_metaqa_questions(f)]
    kb = folder / "kb.txt"
    return (read_metaqa_kb(kb) if kb.exists() else []), questions


READERS: dict[str, Callable[..., Parsed]] = {
    "hotpotqa": read_hotpotqa, "musique": read_musique, "squad": read_squad, "nq_open": read_nq_open,
}
