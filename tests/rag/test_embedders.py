import asyncio

import numpy as np
import pytest
from pipec.compiler.process_caches import clear_process_caches
from pipec.ops.text import embedders
from pipec.ops.text.embedders import EmbedModel, embed_texts, parse_embedder

from .helpers import ctx


@pytest.fixture(autouse=True)
def empty_memory_cache():
    clear_process_caches()
    yield
    clear_process_caches()


def test_hashing_is_deterministic_unit_and_lexical():
    spec = parse_embedder("hashing:256")
    v = asyncio.run(embed_texts(None, spec, ["the cat sat", "the cat sat", "quantum chromodynamics"]))
    assert v.shape == (3, 256) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert np.allclose(v[0], v[1]) and v[0] @ v[2] < 0.2


def test_parse_embedder_kinds():
    assert parse_embedder("minilm").kind == "minilm"
    assert parse_embedder("hashing").dim == 1024
    assert parse_embedder("openai/text-embedding-3-small").kind == "litellm"
    spec = EmbedModel(EmbedModel.Params(model="hashing:64")).run(None)["embedder"]
    assert spec.cache_name == "hashing-64"


def test_minilm_semantic_similarity():
    spec = parse_embedder("minilm")
    v = asyncio.run(embed_texts(None, spec, ["A man is playing a guitar.", "Someone plays an instrument.",
                                             "The stock market fell sharply today."]))
    assert v.shape == (3, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2


def test_minilm_batching_keeps_order():
    from pipec.ops.text import minilm

    texts = ["short", "a much longer sentence about retrieval and search", "mid length text", "x"]
    batched = minilm.encode(texts, batch_size=2)
    single = np.stack([minilm.encode_batch([t])[0] for t in texts])
    assert np.allclose(batched, single, atol=1e-4)


def test_cache_embeds_identical_texts_once(store, monkeypatch):
    calls = []
    real = embedders.encode_local

    def counting(spec, texts, on_batch=None):
        calls.append(list(texts))
        return real(spec, texts, on_batch)

    monkeypatch.setattr(embedders, "encode_local", counting)
    spec = parse_embedder("minilm")
    first = asyncio.run(embed_texts(ctx(store), spec, ["alpha text", "beta text", "alpha text"]))
    assert calls == [["alpha text", "beta text"]]  # duplicates within a batch embedded once
    clear_process_caches()  # a new process: only the store remains
    second = asyncio.run(embed_texts(ctx(store), spec, ["beta text", "gamma text", "alpha text"]))
    assert calls[1:] == [["gamma text"]]
    assert np.allclose(first[0], second[2]) and np.allclose(first[1], second[0])
    rows = store.execute("SELECT COUNT(*) FROM embedding_cache WHERE model=?", (spec.cache_name,)).fetchone()[0]
    assert rows == 3


def test_embedding_stops_when_the_run_is_cancelled():
    from pipec.compiler.errors import PipeError

    c = ctx()
    c.cancelled = True
    spec = parse_embedder("minilm", batch_size=4)
    with pytest.raises(PipeError, match="cancelled"):
        asyncio.run(embed_texts(c, spec, [f"text number {i}" for i in range(12)]))
