"""Sharded item-mapping ops (settings.shards): the same node key and the same stored bytes as an unsharded
run, for an embedder (hashing and MiniLM), llm.generate and kg.build with the fake LLM; item errors per item."""


import pytest
from pipec.compiler.api import compile_text, run_graph
from pipec.compiler.llm.fake import fake_script
from pipec.compiler.process_caches import clear_process_caches
from pipec.compiler.reporter import NullReporter

from .helpers import passages, stored_blobs

N = 70  # passages
GRAPH = """
settings: {{shards: {shards}, llm: {{max_item_errors: {max_errors}}}}}
nodes:
  docs: {{op: load.jsonl, params: {{path: p.jsonl}}}}
  model: {{op: embed.model, params: {{model: {model}, batch_size: 8}}}}
  vectors: {{op: embed.documents, inputs: {{documents: docs, embedder: model}}}}
  answers: {{op: llm.generate, inputs: {{items: docs}}, params: {{model: fake/gen, prompt: "Q {{{{ item.text }}}}"}}}}
  kg: {{op: kg.build, inputs: {{chunks: docs}}, params: {{model: fake/kg}}}}
"""
KG_REPLY = {"entities": [], "relations": [{"head": "Ada", "relation": "knows", "tail": "Bob"}]}


class Progress(NullReporter):
    def __init__(self):
        self.seen = []

    def node_progress(self, node, done, total):
        self.seen.append((node, done, total))


def run(folder, shards, model="hashing:64", max_errors=0, reporter=None, failures=None):
    graph = compile_text(GRAPH.format(shards=shards, model=model, max_errors=max_errors), base_dir=folder)
    store_dir = folder / f".pipe-{shards}-{model.replace(':', '')}-{max_errors}"
    script = {"Extract": KG_REPLY}
    clear_process_caches()  # embeddings are computed again, not taken from the first run's process memory
    with fake_script(script, default="an answer", failures=failures or []):
        result = run_graph(graph, store_dir, reporter=reporter)
    return result, store_dir


@pytest.mark.parametrize("model", ["hashing:64", "minilm"])
def test_sharded_runs_store_the_same_bytes_under_the_same_keys(tmp_path, model):
    passages(tmp_path, N)
    plain, plain_dir = run(tmp_path, 1, model)
    progress = Progress()
    sharded, sharded_dir = run(tmp_path, 3, model, reporter=progress)
    assert plain.status == sharded.status == "succeeded", (plain.error, sharded.error)
    nodes = ("vectors", "answers", "kg")
    keys = {n: plain.nodes[n].key for n in nodes}
    assert keys == {n: sharded.nodes[n].key for n in nodes}
    before, after = stored_blobs(plain_dir, keys), stored_blobs(sharded_dir, keys)
    for n in nodes:
        assert before[n] == after[n], f"{n}: the sharded result differs"
    # progress counts shards: 0..3 of 3 for each sharded node
    for n in nodes:
        counts = [(d, t) for node, d, t in progress.seen if node == n]
        assert counts[0] == (0, 3) and counts[-1] == (3, 3) and len(counts) == 4, (n, counts)
        assert sharded.nodes[n].items_total == N


def test_item_errors_are_counted_per_item_across_shards(tmp_path):
    passages(tmp_path, 12)
    graph_text = GRAPH.format(shards=3, model="hashing:64", max_errors=5)
    failures = [{"error": "bad_request", "times": 100, "match": "Q passage 1"}]  # items p1, p10 and p11
    with fake_script({"Extract": KG_REPLY}, default="an answer", failures=failures):
        result = run_graph(compile_text(graph_text, base_dir=tmp_path), tmp_path / ".pipe")
    assert result.status == "succeeded", result.error
    assert sorted(result.nodes["answers"].item_errors) == ["p1", "p10", "p11"]
    tight = GRAPH.format(shards=3, model="hashing:64", max_errors=2)
    with fake_script({"Extract": KG_REPLY}, default="an answer", failures=failures):
        result = run_graph(compile_text(tight, base_dir=tmp_path), tmp_path / ".pipe2")
    assert result.nodes["answers"].status == "failed"
    assert "3 of 12 items failed" in result.nodes["answers"].error


@pytest.mark.parametrize("embedder", ["hashing", "minilm"])
def test_the_reader_sharded_stores_the_same_bytes(repo, tmp_path, embedder):
    from pipec.compiler.compile import compile_file
    from pipec.compiler.executor import Executor
    from pipec.compiler.store import Store

    graph = compile_file(repo / "examples/rag/offline.yaml", [f"embedder={embedder}"])
    results = {}
    for shards in (1, 4):
        clear_process_caches()
        store = Store(tmp_path / f"s{shards}")
        settings = graph.spec.settings.model_copy(update={"shards": shards})
        results[shards] = Executor(graph, store, settings=settings).run()
        store.close()
        assert results[shards].status == "succeeded", results[shards].error
    key = results[1].nodes["read"].key
    assert results[4].nodes["read"].key == key and results[4].nodes["read"].items_total > 4
    assert stored_blobs(tmp_path / "s1", {"read": key}) == stored_blobs(tmp_path / "s4", {"read": key})
