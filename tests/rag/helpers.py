"""Small records and a minimal op context for the RAG tests."""

from __future__ import annotations

from types import SimpleNamespace

from pipec.compiler.context import RunCaches
from pipec.compiler.store.embeddings import EmbeddingCache
from pipec.ops.data import Document, Question


def ctx(store=None):
    c = SimpleNamespace(runtime=SimpleNamespace(store=store), cache=RunCaches(EmbeddingCache(store)),
                        progress=lambda *a, **k: None,
                        record_items=lambda rows, id_key="id": None, warnings=[], log_lines=[])
    c.warn, c.log = c.warnings.append, c.log_lines.append
    return c


DOCS = [
    Document("paris", "Paris is the capital of France. It is known for the Eiffel Tower.", "Paris"),
    Document("berlin", "Berlin is the capital of Germany. The Brandenburg Gate stands there.", "Berlin"),
    Document("tower", "The Eiffel Tower was completed in 1889 and designed by Gustave Eiffel's company.",
             "Eiffel Tower"),
    Document("python", "Python is a programming language created by Guido van Rossum.", "Python"),
    Document("faiss", "Faiss is a library for similarity search of dense vectors.", "Faiss"),
]

QUESTIONS = [
    Question("q1", "What is the capital of Germany?", ["Berlin"], gold_titles=["Berlin"]),
    Question("q2", "Who created the Python programming language?", ["Guido van Rossum"], gold_titles=["Python"]),
    Question("q3", "When was the Eiffel Tower completed?", ["1889"], gold_titles=["Eiffel Tower"]),
]
