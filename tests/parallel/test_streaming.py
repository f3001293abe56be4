"""Local workers send each memoized result as soon as it is computed: a trial that shares only its first node
with a trial in flight starts once that node is stored, not when the whole trial is done (real worker
processes, a real SQLite store)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pipec.compiler.store import Store
from pipec.optimizers.parallel import ParallelTuner
from pipec.optimizers.study import Budgets

from .helpers import executions, node_times, run_study, write_graph

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "rag" / "data"


@pytest.mark.slow
def test_a_trial_sharing_only_a_first_node_starts_before_the_other_trial_ends(tmp_path):
    graph = write_graph(tmp_path, {"strategy": "grid"}, shared_sleep=0.0, sleep=2.0)
    _, _, rows = run_study(graph, tmp_path / "store", workers=2, trials=2)
    assert [r["state"] for r in rows] == ["complete", "complete"]
    assert list(executions(tmp_path / "store", rows, "shared").values()) == [1]  # still computed once
    (first_start, first_end), (second_start, _) = node_times(tmp_path / "store", rows, "objective")
    # held until trial 0 ended (the old rule), trial 1's objective could not start before first_end
    assert second_start < first_end - 1.0, (first_start, first_end, second_start)


@pytest.mark.slow
def test_lineage_records_are_not_counted_as_computed_node_keys(tmp_path):
    if not EXAMPLES.exists():
        pytest.skip("examples/rag/data is missing")
    graph = tmp_path / "chunks.yaml"
    graph.write_text(yaml.safe_dump({
        "pipeline": "lineage-count", "params": {"size": 32},
        "nodes": {"data": {"op": "load.dataset", "params": {"path": str(EXAMPLES)}},
                  "chunks": {"op": "chunk.tokens", "inputs": {"documents": "data.documents"},
                             "params": {"size": "${size}", "overlap": 0}}},
        "tune": {"objective": "chunks.count", "strategy": "grid", "space": {"size": [32, 48, 64]}},
    }, sort_keys=False), encoding="utf-8")
    store = Store(tmp_path / "store")
    try:
        tuner = ParallelTuner(graph, store, budgets=Budgets(trials=3), workers=2)
        outcome = tuner.run()
        keys = {r["cache_key"] for t in outcome.history.trials for r in store.node_runs(t.run_id)
                if not r["cache_hit"] and r["cache_key"]}
        lineage = store.query("SELECT key FROM cache_entries WHERE op='lineage'")
    finally:
        store.close()
    assert lineage, "chunk.tokens should have recorded its lineage (the test would check nothing)"
    assert set(tuner.executions) == keys  # data once and the three chunk results, no lineage records
    assert set(tuner.executions.values()) == {1}
