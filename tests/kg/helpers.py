"""The toy KG and questions of examples/metaqa/data, and a minimal op context for the KG tests."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[2]
TOY = REPO / "examples" / "metaqa" / "data"


def ctx():
    return SimpleNamespace(progress=lambda *a, **k: None, log=lambda m: None, cancelled=False,
                           record_items=lambda *a, **k: None, base_dir=REPO)


def toy_kg():
    from pipec.ops.kg.graph import KnowledgeGraph, read_triples

    return KnowledgeGraph.from_triples(read_triples(TOY / "kb.txt"))


def toy_questions(split: str, hops: int | None = None):
    from pipec.ops.kg.load import LoadKGQuestions

    op = LoadKGQuestions(LoadKGQuestions.Params(path=str(TOY), split=split, hops=hops))
    return op.run(ctx())["questions"]
