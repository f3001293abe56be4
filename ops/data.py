"""The records that flow between the built-in ops. Plain dataclasses: cheap, picklable (memoization), and
turned into JSON by `to_jsonable` for `--json` and the TUI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Document:
    id: str
    text: str
    title: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Chunk:
    """A piece of a document; `start`/`end` are character offsets into the document's text."""

    id: str
    doc_id: str
    text: str
    title: str = ""
    start: int = 0
    end: int = 0
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Question:
    """A question with its gold answers (aliases) and gold evidence (titles and/or passage ids)."""

    id: str
    question: str
    answers: list[str] = field(default_factory=list)
    gold_titles: list[str] = field(default_factory=list)
    gold_ids: list[str] = field(default_factory=list)
    topic_entities: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Hit:
    chunk_id: str
    doc_id: str
    text: str
    title: str = ""
    score: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)  # where the text is: path, page, heading_path


@dataclass
class Retrieval:
    """Ranked hits for one question, best first."""

    qid: str
    question: str
    hits: list[Hit] = field(default_factory=list)


@dataclass
class Answer:
    qid: str
    text: str
    score: float = 0.0
    answers: list[str] = field(default_factory=list)  # all predicted answers (e.g. a KG answer set)
    evidence: list[str] = field(default_factory=list)  # chunk ids, triples or paths supporting the answer
    error: str | None = None  # per-item failure (e.g. an LLM output that could not be parsed)
    meta: dict[str, Any] = field(default_factory=dict)
