"""`pipe tune` on the offline RAG example: trials share the loaded data, chunks, embeddings and indexes."""

from __future__ import annotations

import pytest

from .helpers import run_study


@pytest.mark.slow
def test_rag_trials_reuse_memoized_nodes(tmp_path, repo):
    graph = repo / "examples" / "rag" / "tune.yaml"
    outcome, best, rows = run_study(graph, tmp_path / "s", strategy="greedy", trials=4)
    assert [r["state"] for r in rows] == ["complete"] * 4
    assert 0 < best.value <= 1
    # Greedy first varies the embedder (models first), then chunk_size: everything upstream of the varied node
    # comes from the memo.
    assert all(r["cache_hits"] >= 2 for r in rows[1:])
    assert rows[1]["note"] == "greedy pass 1: embedder"
