"""Parallel studies on a real local Ray cluster bound to 127.0.0.1 (one instance for the task path, a 3-node
`ray.cluster_utils.Cluster` for the multi-node path). Slow; grouped so that no two clusters run at once."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from .helpers import configs, executions, node_times, run_study, write_graph

ray = pytest.importorskip("ray")

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]


def _short_temp_dir() -> str:
    # Ray's unix sockets live under the temp dir and their paths must stay under ~107 characters.
    return tempfile.mkdtemp(prefix="pray", dir="/tmp")


@pytest.fixture(scope="module")
def local_ray():
    temp = _short_temp_dir()
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", _temp_dir=temp,
             log_to_driver=False)
    yield ray
    ray.shutdown()
    shutil.rmtree(temp, ignore_errors=True)


@pytest.mark.parametrize("strategy", ["grid", "random"])
def test_ray_study_gives_the_serial_trials_and_best(local_ray, tmp_path, strategy):
    graph = write_graph(tmp_path, {"strategy": strategy, "seed": 5}, shared_sleep=0.3)
    trials = 12 if strategy == "grid" else 6
    _, serial_best, serial_rows = run_study(graph, tmp_path / "serial", trials=trials)
    outcome, best, rows = run_study(graph, tmp_path / "ray", workers=2, trials=trials, backend="ray")
    assert configs(rows) == configs(serial_rows)
    assert {r["state"] for r in rows} == {"complete"}
    assert best.config == serial_best.config and best.value == pytest.approx(serial_best.value)
    assert list(executions(tmp_path / "ray", rows, "shared").values()) == [1]  # once across the Ray tasks
    assert outcome.status == "finished"


def test_ray_runs_trials_at_the_same_time(local_ray, tmp_path):
    graph = write_graph(tmp_path, {"strategy": "grid"}, shared_sleep=0.0, sleep=1.5)
    _, _, rows = run_study(graph, tmp_path / "store", workers=2, trials=2, backend="ray")
    assert min(r["ended_at"] for r in rows) > max(r["started_at"] for r in rows)


def test_a_ray_trial_sharing_only_a_first_node_starts_before_the_other_trial_ends(local_ray, tmp_path):
    """Ray tasks stream each memoized result to the driver (a streaming generator), as local workers do."""
    graph = write_graph(tmp_path, {"strategy": "grid"}, shared_sleep=0.0, sleep=2.0)
    _, _, rows = run_study(graph, tmp_path / "store", workers=2, trials=2, backend="ray")
    assert [r["state"] for r in rows] == ["complete", "complete"]
    assert list(executions(tmp_path / "store", rows, "shared").values()) == [1]  # still computed once
    (first_start, first_end), (second_start, _) = node_times(tmp_path / "store", rows, "objective")
    assert second_start < first_end - 1.0, (first_start, first_end, second_start)


def _chain(tmp_path, n: int, node_backend: str, fail_at: int | None = None, name: str = "chain.yaml"):
    import yaml
    from pipec.compiler.compile import compile_file

    nodes = {"start": {"op": "core.value", "params": {"value": {"items": [1, 2, 3]}}}}
    previous = "start"
    for i in range(n):
        op = "core.fail" if i == fail_at else "core.sleep"
        params = {"message": "boom at the third node"} if i == fail_at else {"seconds": 0, "steps": 1}
        nodes[f"n{i}"] = {"op": op, "inputs": {"value": previous}, "params": params}
        previous = f"n{i}"
    data = {"pipeline": "chain", "settings": {"node_backend": node_backend}, "nodes": nodes,
            "outputs": {"last": f"{previous}.value"}}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return compile_file(path)


def test_node_backend_ray_runs_nodes_as_tasks_with_the_local_result(local_ray, tmp_path, monkeypatch):
    from pipec.compiler.backends import nodes
    from pipec.compiler.executor import Executor
    from pipec.compiler.store import Store

    calls: list[str] = []
    real = nodes.run_node

    def counted(task):  # runs inside the Ray worker; its return value says which process ran it
        import os

        outputs, *rest = real(task)
        return {**outputs, "value": (outputs["value"], os.getpid())}, *rest

    local = Executor(_chain(tmp_path, 20, "local", name="a.yaml"), Store(tmp_path / "a")).run()
    on_ray = Executor(_chain(tmp_path, 20, "ray", name="b.yaml"), Store(tmp_path / "b")).run()
    monkeypatch.setattr(nodes, "_remote", local_ray.remote(max_retries=0)(counted))
    probe = Executor(_chain(tmp_path, 1, "ray", name="c.yaml"), Store(tmp_path / "c")).run()
    calls.append(probe.outputs["last"][1])
    assert calls[0] != os.getpid()  # the node ran in a Ray worker process
    assert local.status == on_ray.status == "succeeded"
    assert on_ray.outputs == local.outputs == {"last": {"items": [1, 2, 3]}}
    assert [r.key for r in on_ray.nodes.values()] == [r.key for r in local.nodes.values()]  # same node keys


def test_node_backend_ray_reports_the_op_error(local_ray, tmp_path):
    from pipec.compiler.executor import Executor
    from pipec.compiler.store import Store

    result = Executor(_chain(tmp_path, 5, "ray", fail_at=2), Store(tmp_path / "s")).run()
    assert result.status == "failed"
    assert result.nodes["n2"].status == "failed" and "boom at the third node" in result.nodes["n2"].error
    assert result.nodes["n3"].status == "skipped"


SHARDED = """
settings: {{shards: {shards}, node_backend: {backend}}}
nodes:
  docs: {{op: load.jsonl, params: {{path: p.jsonl}}}}
  model: {{op: embed.model, params: {{model: minilm, batch_size: 8}}}}
  vectors: {{op: embed.documents, inputs: {{documents: docs, embedder: model}}}}
"""


def test_node_backend_ray_runs_shards_as_tasks_with_the_unsharded_bytes(local_ray, tmp_path, monkeypatch):
    from pipec.compiler.api import compile_text, run_graph
    from pipec.compiler.backends import nodes
    from pipec.compiler.process_caches import clear_process_caches

    from .helpers import passages, stored_blobs

    passages(tmp_path, 50)
    pids = tmp_path / "pids"
    real = nodes.map_shard

    def recorded(task):  # runs inside a Ray worker: note which process mapped the shard
        import os

        with open(pids, "a") as f:
            f.write(f"{os.getpid()}\n")
        return real(task)

    plain = run_graph(compile_text(SHARDED.format(shards=1, backend="local"), base_dir=tmp_path), tmp_path / "a")
    clear_process_caches()
    monkeypatch.setattr(nodes, "_shard_remote", local_ray.remote(max_retries=0)(recorded))
    sharded = run_graph(compile_text(SHARDED.format(shards=3, backend="ray"), base_dir=tmp_path), tmp_path / "b")
    assert plain.status == sharded.status == "succeeded", sharded.error
    key = plain.nodes["vectors"].key
    assert sharded.nodes["vectors"].key == key
    assert stored_blobs(tmp_path / "a", {"v": key}) == stored_blobs(tmp_path / "b", {"v": key})
    ran = pids.read_text().split()
    assert len(ran) == 3 and str(os.getpid()) not in ran  # three shards, each a Ray task in a worker
