"""bench/tune helpers on the synthetic objective: study statistics the benchmark tables are made of."""

from __future__ import annotations

import sys

import pytest

from .helpers import OPTIMUM, write_graph


@pytest.fixture
def studies(repo):
    sys.path.insert(0, str(repo / "bench" / "tune"))
    try:
        import studies

        yield studies
    finally:
        sys.path.remove(str(repo / "bench" / "tune"))


def test_study_stats_count_trials_questions_and_node_executions(tmp_path, studies):
    space = {"x": [0.0, 0.3, 0.6], "kind": ["a", "b"]}
    graph = write_graph(tmp_path, {"space": space, "halving": {"param": "questions", "min": 4, "max": 36,
                                                               "eta": 3}}, params={"noise": 0.0, "y": 4})
    grid = studies.run_study(graph, tmp_path / "g", "grid", 0, 100, full_questions=36, cold=True)
    assert len(grid.values) == 6 and grid.best() == pytest.approx(OPTIMUM)
    assert grid.questions == [36] * 6 and grid.node_execs == 6
    assert grid.first_within(grid.best()) == 4  # grid order: (0.0, a), (0.0, b), (0.3, a), (0.3, b)
    again = studies.run_study(graph, tmp_path / "g", "grid", 0, 100, full_questions=36)
    assert again.node_execs == 0  # another study over the same configs: everything memoized
    halving = studies.run_study(graph, tmp_path / "h", "halving", 0, 6, full_questions=36)
    # trial 0 is the baseline at full size; the partial evaluations after it never count
    assert halving.questions == [36] + [4] * 5 and halving.values[1:] == [None] * 5 and halving.values[0]
    seconds, execs = studies.run_alone(graph, grid.configs[:2], tmp_path / "alone")
    assert execs == 2 and seconds > 0


def test_embedding_time_is_clocked_and_process_caches_forgotten(studies):
    from pipec.compiler.store.embeddings import EmbeddingCache
    from pipec.ops.text import embedders, hashing, indexes
    from pipec.ops.text.embedders import embed_texts_sync, parse_embedder, text_hash

    compute = embedders._compute
    indexes.bm25_tokens("a text whose tokens are memoized")
    hashing.encode(["a text whose hashed row is memoized"])
    with studies.embedding_clock() as spent:
        embed_texts_sync(parse_embedder("minilm"), [f"a text never embedded before {id(spent)}"])
    assert spent[0] > 0 and embedders._compute is compute
    studies.forget_process_caches()  # the independent runs start as cold as a new process
    assert not EmbeddingCache().get("minilm-l6-v2-int8", [text_hash(f"a text never embedded before {id(spent)}")])
    assert indexes._bm25_tokens.cache_info().currsize == hashing._sparse_row.cache_info().currsize == 0
