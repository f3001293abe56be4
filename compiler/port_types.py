"""Named data types for op ports, with single inheritance, checked before anything runs.

A port type is a name (e.g. `Chunks`) with an optional parent (`Documents`): an output of type `Chunks` may
feed an input that accepts `Documents`. `Any` accepts everything. Third-party ops declare new types with
`port_type("MyType", parent="Records")` at import time of their module.

A list-of-records type names its item class (`item="pipec.ops.data:Chunk"`, a string so that the compiler never
imports the ops): the value classes and the port types form one hierarchy, a child type's item class subclassing
its parent's (checked by `check_item_hierarchy`, run by the tests; a plugin's conformance test can run it too).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PortType:
    name: str
    parent: str | None = None
    doc: str = ""
    item: str | None = None  # "module:Class" of one element of the list this type carries, if it has one

    def __str__(self) -> str:
        return self.name


_TYPES: dict[str, PortType] = {}


def port_type(name: str, parent: str | None = "Any", doc: str = "", item: str | None = None) -> PortType:
    """Declare (or fetch) a port type. Re-declaring with the same parent is harmless."""
    existing = _TYPES.get(name)
    if existing is not None:
        if existing.parent != parent:
            raise ValueError(f"port type {name} already declared with parent {existing.parent}")
        return existing
    if parent is not None and parent not in _TYPES:
        raise ValueError(f"unknown parent port type {parent!r} for {name!r}")
    t = PortType(name, parent, doc, item)
    _TYPES[name] = t
    return t


def get_type(name: str) -> PortType:
    return _TYPES[name]


def ancestors(name: str) -> list[str]:
    out = []
    current: str | None = name
    while current is not None:
        out.append(current)
        current = _TYPES[current].parent if current in _TYPES else None
    return out


def item_class(name: str) -> type | None:
    """The class of one element of a value of port type `name` (inherited from the nearest typed ancestor)."""
    import importlib

    for type_name in ancestors(name):
        item = _TYPES[type_name].item if type_name in _TYPES else None
        if item:
            module, _, cls = item.partition(":")
            return getattr(importlib.import_module(module), cls)
    return None


def check_item_hierarchy() -> list[str]:
    """Every type's item class must subclass its parent type's item class; returns one message per mismatch."""
    problems = []
    for t in _TYPES.values():
        if not t.item or not t.parent:
            continue
        mine, theirs = item_class(t.name), item_class(t.parent)
        if theirs is not None and not issubclass(mine, theirs):
            problems.append(f"port type {t.name} is a kind of {t.parent}, but its item class {mine.__name__} does "
                            f"not subclass {theirs.__name__}")
    return problems


def is_compatible(produced: str, accepted: str) -> bool:
    """Can an output of type `produced` feed an input that accepts `accepted`?"""
    if accepted == "Any" or produced == "Any":
        return True
    return accepted in ancestors(produced)


ANY = port_type("Any", parent=None, doc="anything")
TEXT = port_type("Text", doc="one string")
NUMBER = port_type("Number", doc="one int or float")
JSON = port_type("JSON", doc="a JSON-serializable value")
RECORDS = port_type("Records", doc="a list of dicts")
DOCUMENTS = port_type("Documents", parent="Records", doc="list[Document]: id, text, title, meta",
                      item="pipec.ops.data:Document")
CHUNKS = port_type("Chunks", parent="Documents", doc="list[Chunk]: a Document with doc_id and char offsets",
                   item="pipec.ops.data:Chunk")
QUESTIONS = port_type("Questions", parent="Records", doc="list[Question]: id, question, answers, gold evidence",
                      item="pipec.ops.data:Question")
EMBEDDINGS = port_type("Embeddings", doc="an Embeddings object: ids plus an (n, d) float32 matrix")
INDEX = port_type("Index", doc="a searchable index over chunks")
RETRIEVALS = port_type("Retrievals", parent="Records", doc="list[Retrieval]: ranked hits per question",
                       item="pipec.ops.data:Retrieval")
ANSWERS = port_type("Answers", parent="Records", doc="list[Answer]: one predicted answer per question",
                    item="pipec.ops.data:Answer")
METRICS = port_type("Metrics", doc="dict[str, float] of aggregate scores; recorded in the run store")
KG = port_type("KG", doc="a knowledge graph (networkx MultiDiGraph wrapper)")
MODEL = port_type("Model", doc="a trained model artifact")
EMBEDDER = port_type("Embedder", doc="an embedding model handle (name + settings), not vectors")
