"""A Ray shard task carries its own items, not every item of the node (compiler/backends/nodes.py shard_task):
map_shard runs here in-process (no Ray needed) on the task and gives the vectors of its items."""

import pickle
from pathlib import Path

import numpy as np
from pipec.compiler.backends.nodes import map_shard, shard_task
from pipec.compiler.context import RunContext, Runtime
from pipec.compiler.spec import Settings
from pipec.ops.data import Document
from pipec.ops.text.embedders import EmbedDocuments, parse_embedder


def test_a_shard_task_ships_its_items_not_the_whole_shard_input():
    docs = [Document(id=f"d{i}", text=f"passage number {i} " * 20) for i in range(400)]
    embedder = parse_embedder("hashing:64", batch_size=8)
    op = EmbedDocuments(EmbedDocuments.Params())
    inputs = {"documents": docs, "embedder": embedder}
    items, shared = op.prepare(None, inputs)
    ctx = RunContext(Runtime(run_id="r", base_dir=Path("."), store=None, settings=Settings()), "vectors", "k")
    task = shard_task(op, ctx, items[:8], shared, inputs)
    assert "documents" not in task.inputs and task.inputs["embedder"] == embedder
    assert len(pickle.dumps(task)) < len(pickle.dumps(docs)) / 10
    vectors, errors, _ = map_shard(task)
    whole = op.join_items(ctx, items, np.concatenate([vectors, map_shard(shard_task(
        op, ctx, items[8:], shared, inputs))[0]]), shared, inputs)["embeddings"]
    assert not errors and whole.ids == [d.id for d in docs]
