import pytest
from pipec.ops.data import Document
from pipec.ops.text.chunkers import ChunkParams, ChunkRecursive, ChunkSentences, ChunkTokens, make_chunks
from pipec.ops.text.chunking import recursive_spans, sentence_chunks, sentence_spans, token_spans
from pipec.ops.text.minilm import tokenizer
from pydantic import ValidationError

from .helpers import ctx

TEXT = ("Retrieval augmented generation combines search with generation. The retriever finds passages! "
        "Does the reader answer? Yes, it does.\n\nA second paragraph follows here. It has two sentences.")


def test_token_spans_cover_text_with_overlap():
    spans = token_spans(TEXT, size=8, overlap=2)
    assert spans[0][0] == 0 and spans[-1][1] == len(TEXT.rstrip())
    n_tokens = [len(tokenizer(None).encode(TEXT[s:e], add_special_tokens=False).ids) for s, e in spans]
    assert max(n_tokens) <= 8
    # consecutive windows overlap in text
    assert all(b[0] < a[1] for a, b in zip(spans, spans[1:], strict=False))


def test_token_spans_whole_document_when_large():
    assert token_spans(TEXT, size=10_000, overlap=0) == [(0, len(TEXT))]


def test_sentence_spans_split_on_terminators_and_paragraphs():
    sentences = [TEXT[s:e] for s, e in sentence_spans(TEXT)]
    assert sentences[:3] == ["Retrieval augmented generation combines search with generation.",
                             "The retriever finds passages!", "Does the reader answer?"]
    assert sentences[-1] == "It has two sentences."


def test_sentence_chunks_respect_word_budget_and_overlap():
    spans = sentence_chunks(TEXT, size=12, overlap=1)
    for s, e in spans:
        assert len(TEXT[s:e].split()) <= 12 or len(sentence_spans(TEXT[s:e])) == 1
    texts = [TEXT[s:e] for s, e in spans]
    assert any(a.split(".")[-1] and a[-10:] in b for a, b in zip(texts, texts[1:], strict=False)) or len(texts) > 2


def test_recursive_spans_within_size():
    spans = recursive_spans(TEXT, size=60, overlap=0)
    assert all(e - s <= 60 for s, e in spans)
    joined = " ".join(TEXT[s:e] for s, e in spans)
    assert joined.split() == TEXT.split()


def test_recursive_overlap_repeats_text():
    spans = recursive_spans(TEXT, size=70, overlap=30)
    assert any(b[0] < a[1] for a, b in zip(spans, spans[1:], strict=False))


def test_chunks_keep_doc_id_title_offsets():
    doc = Document("d1", TEXT, "Title", meta={"source": "x"})
    chunks = make_chunks([doc], lambda t: token_spans(t, 10, 0))
    assert [c.id for c in chunks][:2] == ["d1#0", "d1#1"]
    for c in chunks:
        assert c.doc_id == "d1" and c.title == "Title" and c.meta == {"source": "x"}
        assert doc.text[c.start:c.end] == c.text


@pytest.mark.parametrize("op", [ChunkTokens, ChunkSentences, ChunkRecursive])
def test_chunk_ops_run(op):
    out = op(op.Params(size=20, overlap=0)).run(ctx(), documents=[Document("d", TEXT, "T")])
    assert out["chunks"] and all(c.text for c in out["chunks"])


def test_overlap_must_be_smaller_than_size():
    with pytest.raises(ValidationError, match="overlap"):
        ChunkParams(size=10, overlap=10)
