"""The offline example end to end, through the compiler and executor, with a store in tmp_path."""

import pytest
from pipec.compiler.api import compile_file, run_graph
from pipec.compiler.store import Store


@pytest.fixture
def example(repo):
    return repo / "examples" / "rag" / "offline.yaml"


def test_offline_example_runs_and_scores(example, tmp_path):
    store = Store(tmp_path / ".pipe")
    try:
        result = run_graph(compile_file(example), store)
        assert result.status == "succeeded", result.error
        r, a = result.metrics["retrieval_metrics"], result.metrics["answer_metrics"]
        assert r["evaluated"] == 28 and r["recall@5"] >= 0.9
        assert a["questions"] == 28 and a["f1"] >= 0.4 and a["em"] >= 0.3
        items = store.query("SELECT COUNT(*) AS n FROM items")[0]["n"]
        assert items == 56  # one row per question for both metric nodes
        n_vectors = store.query("SELECT COUNT(*) AS n FROM embedding_cache")[0]["n"]
        assert n_vectors > 0
        again = run_graph(compile_file(example), store)
        assert again.cache_hits == len(again.nodes) and again.metrics == result.metrics
        # another chunking shares the cached embeddings of identical chunks; only new texts are embedded
        other = run_graph(compile_file(example, ["chunk_size=512", "retriever=bm25", "top_k=3"]), store)
        assert other.status == "succeeded" and other.metrics["retrieval_metrics"]["recall@2"] > 0.8
    finally:
        store.close()


def test_offline_example_with_hashing_embedder(example, tmp_path):
    result = run_graph(compile_file(example, ["embedder=hashing", "hops=2", "questions=10"]), None)
    assert result.status == "succeeded", result.error
    assert result.metrics["retrieval_metrics"]["evaluated"] == 10


def test_bad_params_fail_at_compile_time(example):
    from pipec.compiler.errors import CompileError

    with pytest.raises(CompileError) as err:
        compile_file(example, ["retriever=vector", "chunk_overlap=500", "data_dir=nowhere"])
    text = err.value.format()
    assert "kind" in text and "overlap" in text and "does not exist" in text


@pytest.mark.data
def test_offline_graph_on_hotpotqa(example, shared_data, tmp_path):
    overrides = [f"data_dir={shared_data / 'hotpotqa'}", "embedder=hashing", "hops=2", "questions=30",
                 "chunk_size=512"]
    result = run_graph(compile_file(example, overrides), tmp_path / ".pipe")
    assert result.status == "succeeded", result.error
    assert result.metrics["retrieval_metrics"]["evaluated"] == 30
    assert result.metrics["retrieval_metrics"]["recall@5"] >= 0.7
