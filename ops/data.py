"""The records that flow between the built-in ops. Plain dataclasses: cheap, picklable (memoization), and
turned into JSON by `to_jsonable` for `--json` and the TUI.

The classes and the port types of compiler/port_types.py are one hierarchy: each port type that carries a list of
records names its item class here (`PortType.item`), and a child type's item class subclasses its parent's
(`Chunks` is a kind of `Documents`, and a `Chunk` is a `Document`). tests/compiler/test_op_contract.py checks it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Document:
    id: str
    text: str
    title: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(init=False)
class Chunk(Document):
    """A piece of a document; `start`/`end` are character offsets into the document's text. A Chunk is a
    Document (the `Chunks` port type is a kind of `Documents`), with the id of the document it came from."""

    doc_id: str = ""
    start: int = 0
    end: int = 0

    # Positional order kept from before Chunk was a Document: Chunk(id, doc_id, text, ...).
    def __init__(self, id: str, doc_id: str, text: str, title: str = "", start: int = 0, end: int = 0,
                 meta: dict[str, Any] | None = None):
        self.id, self.doc_id, self.text, self.title = id, doc_id, text, title
        self.start, self.end = start, end
        self.meta = {} if meta is None else meta


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
