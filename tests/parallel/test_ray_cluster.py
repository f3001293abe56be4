"""Parallel studies on a real multi-node Ray cluster on one machine: `ray.cluster_utils.Cluster` with a head (no
CPUs) and 2 worker nodes, all on 127.0.0.1, and a worker node removed mid-study. Its own module, so that the
single-instance fixture of test_ray.py is shut down before this cluster starts. Slow; grouped with test_ray.py."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time

import pytest

from .helpers import run_study, write_graph

ray = pytest.importorskip("ray")

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]


def _short_temp_dir() -> str:
    # Ray's unix sockets live under the temp dir and their paths must stay under ~107 characters.
    return tempfile.mkdtemp(prefix="pray", dir="/tmp")


@pytest.fixture
def cluster(monkeypatch):
    from ray.cluster_utils import Cluster

    if ray.is_initialized():  # never join a cluster through a leftover connection
        ray.shutdown()
    temp = _short_temp_dir()
    monkeypatch.setenv("RAY_TMPDIR", temp)  # Cluster writes its address file into the default temp dir
    c = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 0, "node_ip_address": "127.0.0.1", "include_dashboard": False})
    workers = [c.add_node(num_cpus=1, node_ip_address="127.0.0.1") for _ in range(2)]
    # ray.init(address=127.0.0.1:port) rewrites a loopback address to the machine's interface address unless
    # Ray believes clusters are disabled (ray._private.services.resolve_ip_for_localhost): keep it on loopback.
    monkeypatch.setattr(ray._private.ray_constants, "ENABLE_RAY_CLUSTER", False)
    ray.init(address=c.address, log_to_driver=False)
    c.wait_for_nodes()
    yield c, workers
    ray.shutdown()
    c.shutdown()
    shutil.rmtree(temp, ignore_errors=True)


def _remove_when_two_trials_run(c, node, store_dir, removed: list) -> None:
    """Remove `node` from the cluster once two trials are running (each worker node runs one)."""
    from pipec.compiler.store import Store

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            store = Store(store_dir, readonly=True)
            # Trial 0 computes the shared node alone (the others wait for it); then two trials run at once.
            states = [r["state"] for r in store.query("SELECT state FROM trials")]
            running = states.count("running") if "complete" in states else 0
            store.close()
        except Exception:  # not created yet
            running = 0
        if running >= 2:
            time.sleep(4.0)  # the tasks have started on their nodes (Ray workers start slowly under load)
            c.remove_node(node)
            removed.append(node.address)
            return
        time.sleep(0.1)


def test_a_node_removed_mid_study_costs_one_trial_which_is_retried(cluster, tmp_path):
    c, workers = cluster
    graph = write_graph(tmp_path, {"strategy": "grid"}, shared_sleep=0.0, sleep=8.0)
    removed: list[str] = []
    threading.Thread(target=_remove_when_two_trials_run, args=(c, workers[0], tmp_path / "store", removed),
                     daemon=True).start()
    outcome, best, rows = run_study(graph, tmp_path / "store", workers=2, trials=4, backend="ray", retries=1)
    assert removed, "the cluster never ran two trials at once"
    assert len(rows) == 4 and all(r["state"] == "complete" for r in rows), [r["error"] for r in rows]
    assert outcome.status == "finished" and best is not None


def test_a_node_removed_without_retries_fails_only_its_trial(cluster, tmp_path):
    c, workers = cluster
    graph = write_graph(tmp_path, {"strategy": "grid"}, shared_sleep=0.0, sleep=8.0)
    removed: list[str] = []
    threading.Thread(target=_remove_when_two_trials_run, args=(c, workers[1], tmp_path / "store", removed),
                     daemon=True).start()
    outcome, _, rows = run_study(graph, tmp_path / "store", workers=2, trials=4, backend="ray")
    assert removed, "the cluster never ran two trials at once"
    failed = [r for r in rows if r["state"] == "failed"]
    assert len(rows) == 4 and len(failed) == 1, [r["error"] for r in rows]
    assert "lost" in failed[0]["error"]
    assert outcome.status == "finished"
