import asyncio
import pickle

import numpy as np
import pytest
from pipec.ops.data import Chunk
from pipec.ops.text.embedders import parse_embedder
from pipec.ops.text.indexes import BM25Index, DenseIndex, HybridIndex, choose_faiss, fuse
from pipec.ops.text.multihop import TitleLinker, two_hop
from pipec.ops.text.retrievers import IndexBuild, Retrieve, dense_index

from .helpers import DOCS, QUESTIONS, ctx


def chunks_of(docs):
    return [Chunk(f"{d.id}#0", d.id, d.text, d.title, 0, len(d.text)) for d in docs]


CHUNKS = chunks_of(DOCS)


def titles(index, ranked):
    return [index.chunks[row].title for row, _ in ranked]


def test_choose_faiss_by_size_with_override():
    assert choose_faiss(1000) == "flat"
    assert choose_faiss(200_000) == "hnsw"
    assert choose_faiss(5_000_000) == "ivf"
    assert choose_faiss(10, "hnsw") == "hnsw"


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_faiss_kinds_find_nearest_and_pickle(kind):
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((2000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chunks = [Chunk(str(i), str(i), "t") for i in range(2000)]
    index = DenseIndex(chunks, parse_embedder("hashing:32"), vectors, kind)
    assert index.faiss_kind == kind
    clone = pickle.loads(pickle.dumps(index))
    hits = clone.search_vectors(vectors[[5, 77]], 3)
    assert [h[0][0] for h in hits] == [5, 77]
    assert hits[0][0][1] == pytest.approx(1.0, abs=1e-4)


def test_bm25_ranks_lexical_match_first():
    index = BM25Index(CHUNKS)
    ranked = index.search_texts(["capital of Germany", "programming language Guido"], 3)
    assert titles(index, ranked[0])[0] == "Berlin"
    assert titles(index, ranked[1])[0] == "Python"
    assert pickle.loads(pickle.dumps(index)).search_texts(["Faiss vectors"], 1)[0][0][0] == 4


def test_dense_and_hybrid_rank_semantic_match():
    c = ctx()
    dense = asyncio.run(dense_index(c, CHUNKS, parse_embedder("minilm"), "auto", True))
    ranked = asyncio.run(dense.search(c, ["Which city is Germany's capital?"], 2))
    assert titles(dense, ranked[0])[0] == "Berlin"
    hybrid = HybridIndex(dense, BM25Index(CHUNKS))
    ranked = asyncio.run(hybrid.search(c, ["similarity search library for vectors"], 3))
    assert titles(hybrid, ranked[0])[0] == "Faiss"
    assert len(ranked[0]) == 3


def test_rrf_and_weighted_fusion():
    a = [(1, 9.0), (2, 5.0), (3, 1.0)]
    b = [(3, 0.9), (1, 0.8)]
    rrf = fuse([a, b], "rrf", rrf_k=60)
    assert rrf[0][0] == 1 and rrf[0][1] == pytest.approx(1 / 61 + 1 / 62)
    weighted = fuse([a, b], "weighted", [0.5, 0.5])
    assert dict(weighted)[3] == pytest.approx(0.5 * 0 + 0.5 * 1.0)
    assert dict(weighted)[1] == pytest.approx(0.5 * 1.0 + 0.5 * 0.0)


def test_title_linker_finds_mentions():
    linker = TitleLinker(CHUNKS)
    assert linker.mentioned("I saw the Eiffel Tower in Paris.") == {0, 2}
    assert linker.mentioned("nothing here") == set()


def test_two_hop_reaches_the_bridge_document():
    # the question names neither the tower's city nor its page; the first hop finds Paris, which mentions it
    index = BM25Index(CHUNKS)
    question = "In the capital of France, which landmark stands?"
    one = index.search_texts([question], 5)[0]
    hop = asyncio.run(two_hop(ctx(), index, [question], k=2, seeds=1, depth=5, expand_with="text",
                              link_weight=0.2, rrf_k=10, per_doc=1))[0]
    assert titles(index, hop) == ["Paris", "Eiffel Tower"]
    assert "Eiffel Tower" not in titles(index, one[:2])


@pytest.mark.parametrize("kind", ["bm25", "dense", "hybrid"])
def test_index_build_and_retrieve_ops(kind):
    c = ctx()
    index = asyncio.run(IndexBuild(IndexBuild.Params(kind=kind)).run(c, chunks=CHUNKS,
                                                                   embedder=parse_embedder("hashing")))["index"]
    out = asyncio.run(Retrieve(Retrieve.Params(top_k=2)).run(c, index=index, questions=QUESTIONS))
    retrievals = out["retrievals"]
    assert [r.qid for r in retrievals] == ["q1", "q2", "q3"]
    assert all(1 <= len(r.hits) <= 2 for r in retrievals)  # BM25 returns only passages sharing a word
    assert retrievals[0].hits[0].title == "Berlin"
    assert retrievals[0].hits[0].score >= retrievals[0].hits[1].score


def test_index_build_dense_needs_embedder():
    with pytest.raises(ValueError, match="embedder"):
        asyncio.run(IndexBuild(IndexBuild.Params(kind="dense")).run(ctx(), chunks=CHUNKS))


def test_fold_and_accent_insensitive_title_links():
    from pipec.ops.text.multihop import fold

    assert fold("Aschenbrödel Café") == "aschenbrodel cafe"
    chunks = chunks_of(DOCS[:2])
    chunks[1].title = "Bérlin"
    assert TitleLinker(chunks).mentioned("a trip to berlin") == {1}


def test_three_hops_follow_a_chain():
    from pipec.ops.data import Document
    from pipec.ops.text.multihop import multi_hop

    docs = [Document("a", "Alpha Records signed the band Zorblax in 1990.", "Alpha Records"),
            Document("b", "Zorblax is a rock band whose singer is Quinn Marlowe.", "Zorblax"),
            Document("c", "Quinn Marlowe was born in the town of Fendale.", "Quinn Marlowe"),
            Document("d", "Records of weather are kept in many towns.", "Weather records"),
            Document("e", "A singer is a person who sings.", "Singer")]
    index = BM25Index(chunks_of(docs))
    question = "Where was the singer of the band signed by Alpha Records born?"
    two = asyncio.run(multi_hop(ctx(), index, [question], 3, 2, 2, 5, "text", 0.2, 10, 1))[0]
    three = asyncio.run(multi_hop(ctx(), index, [question], 3, 3, 2, 5, "text", 0.2, 10, 1))[0]
    assert titles(index, three) == ["Alpha Records", "Zorblax", "Quinn Marlowe"]
    assert titles(index, two)[:2] == ["Alpha Records", "Zorblax"]


def test_index_dense_from_precomputed_embeddings_matches():
    from pipec.ops.text.embedders import EmbedDocuments
    from pipec.ops.text.retrievers import IndexDense

    spec = parse_embedder("hashing:128")
    emb = asyncio.run(EmbedDocuments(EmbedDocuments.Params()).run(ctx(), documents=CHUNKS, embedder=spec))
    op = IndexDense(IndexDense.Params())
    given = asyncio.run(op.run(ctx(), chunks=CHUNKS, embedder=spec, embeddings=emb["embeddings"]))["index"]
    computed = asyncio.run(op.run(ctx(), chunks=CHUNKS, embedder=spec))["index"]
    q = ["capital of Germany"]
    assert asyncio.run(given.search(ctx(), q, 3)) == asyncio.run(computed.search(ctx(), q, 3))
    with pytest.raises(ValueError, match="same model"):
        asyncio.run(op.run(ctx(), chunks=CHUNKS, embedder=parse_embedder("hashing:64"),
                           embeddings=emb["embeddings"]))


def test_index_hybrid_op_composes_dense_and_bm25():
    from pipec.ops.text.retrievers import IndexBM25, IndexDense, IndexHybrid

    spec = parse_embedder("hashing")
    dense = asyncio.run(IndexDense(IndexDense.Params()).run(ctx(), chunks=CHUNKS, embedder=spec))["index"]
    sparse = IndexBM25(IndexBM25.Params()).run(ctx(), chunks=CHUNKS)["index"]
    hybrid = IndexHybrid(IndexHybrid.Params(fusion="weighted", dense_weight=0.3)).run(ctx(), dense=dense,
                                                                                      sparse=sparse)["index"]
    assert hybrid.fusion == "weighted" and hybrid.dense_weight == 0.3
    assert titles(hybrid, asyncio.run(hybrid.search(ctx(), ["Guido programming language"], 1))[0]) == ["Python"]
    with pytest.raises(TypeError, match="index.dense"):
        IndexHybrid(IndexHybrid.Params()).run(ctx(), dense=sparse, sparse=dense)


def test_seed_query_keeps_the_start_of_the_seed_passage():
    from pipec.ops.text.multihop import seed_query

    chunk = CHUNKS[2]  # Eiffel Tower
    q = "Who designed it?"
    assert seed_query(q, chunk, "title") == "Who designed it? Eiffel Tower"
    short = seed_query(q, chunk, "text", 30)
    assert short.startswith(q) and len(short) == len(q) + 1 + 30 and "Eiffel Tower" in short
    assert seed_query(q, chunk, "text", 10_000).endswith(chunk.text)  # short passages whole
    long = Chunk("long#0", "long", "word " * 200, "Long", 0, 1000)
    assert len(seed_query(q, long, "text")) == len(q) + 1 + 200  # the default keeps the first 200 characters


def test_retrieve_passes_seed_chars_to_the_second_hop(monkeypatch):
    from pipec.ops.text import multihop

    seen = []
    real = multihop.seed_query

    def spy(question, chunk, expand_with, max_chars=200, drop_title=False):
        seen.append((max_chars, drop_title))
        return real(question, chunk, expand_with, max_chars, drop_title)

    monkeypatch.setattr(multihop, "seed_query", spy)
    index = BM25Index(CHUNKS)
    for drop in (True, False):
        params = Retrieve.Params(top_k=2, hops=2, seeds=2, seed_chars=40, drop_seed_title=drop)
        asyncio.run(Retrieve(params).run(ctx(), index=index, questions=QUESTIONS))
        assert seen and set(seen) == {(40, drop)}
        seen.clear()
    assert Retrieve.Params().drop_seed_title is True
    with pytest.raises(ValueError):
        Retrieve.Params(hops=2, seed_chars=5)


def test_drop_title_words_keeps_stop_words_and_other_words():
    from pipec.ops.text.multihop import drop_title_words

    assert drop_title_words("Where was Kevin Durant born?", "Kevin Durant") == "Where was born?"
    # accent-folded, case-insensitive; a trailing '(...)' of the title is not part of the name
    assert drop_title_words("The composer of Aschenbrodel was born in", "Aschenbrödel (opera)") == \
        "The composer of was born in"
    assert drop_title_words("Who owns the Bank of England?", "The Bank of England") == "Who owns the of ?"
    assert drop_title_words("unchanged text", "") == "unchanged text"


def test_seed_query_drops_the_seed_title():
    from pipec.ops.text.multihop import seed_query

    seed = Chunk("s#0", "s", "Novair International Airways was a charter airline owned by the Rank Organisation.",
                 "Novair International Airways", 0, 83)
    q = "What year did the company Novair International Airways is part of dissolve?"
    dropped = seed_query(q, seed, "text", 200, drop_title=True)
    assert dropped == ("What year did the company is part of dissolve? was a charter airline owned by the "
                       "Rank Organisation.")
    assert seed_query(q, seed, "text", 200).count("Novair") == 2  # question and seed text
    assert seed_query(q, seed, "title", 200, drop_title=True).endswith("Novair International Airways")


def test_dropping_the_seed_title_skips_same_named_passages():
    # the seed's name pulls in a sibling page ("Dodge City, Kansas") ahead of the bridge ("Kansas")
    from pipec.ops.data import Document
    from pipec.ops.text.multihop import multi_hop

    docs = [Document("a", "Dodge City Regional Airport is an airport in Ford County, in the state of Kansas.",
                     "Dodge City Regional Airport"),
            Document("b", "Dodge City is a city in Ford County; Dodge City has an airport and a regional museum.",
                     "Dodge City, Kansas"),
            Document("c", "The population of the state was 2,913,123 at the last census, most in its east.",
                     "Kansas"),
            Document("d", "A regional airport serves a small city.", "Regional airport")]
    index = BM25Index(chunks_of(docs))
    question = "What is the population of the state where Dodge City Regional Airport is located?"
    args = (ctx(), index, [question], 2, 2, 1, 5, "text", 0.0, 10, 1, 200)
    kept = asyncio.run(multi_hop(*args, drop_title=False))[0]
    dropped = asyncio.run(multi_hop(*args, drop_title=True))[0]
    assert titles(index, kept) == ["Dodge City Regional Airport", "Dodge City, Kansas"]
    assert titles(index, dropped) == ["Dodge City Regional Airport", "Kansas"]
