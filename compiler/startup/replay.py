"""`pipe run` from a plan: a fully memoized run recorded and reported without compiling the graph.

The plan is what the executor knew after compiling and keying the graph (compiler/executor.py): the run's
name, file and config, one row per node (op, version, key, parameters), the nodes whose values the run reports
(outputs and metrics), and where each output comes from. Replaying writes what the executor writes for a run
whose nodes are all cached (the run row, the node rows with the previews of the results they reuse, the metrics,
the totals) and prints what `pipe run` prints. Values are read before anything is written: when a key is
missing or a stored result fails its check, `replay_run` returns None and the command runs the slow way.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from ..results import NodeResult, RunResult, metric_values, metrics_name, new_run_id


class _PlannedGraph:
    """What the reporter reads of a graph."""

    def __init__(self, name: str):
        self.name = name


def run_payload(graph, result: RunResult) -> dict[str, Any] | None:
    """The plan of a finished slow-path run, or None when a later run could not simply reuse every result."""
    from ..keys import params_json

    nodes = graph.nodes
    if (result.status != "succeeded" or graph.request_inputs or graph.secrets
            or any(not node.cache or not node.op_cls.replayable for node in nodes.values())
            or any(r.item_errors for r in result.nodes.values())):
        return None
    metric_ports = {name: ports for name, node in nodes.items()
                    if (ports := [p for p, spec in node.op_cls.outputs.items() if spec.type == "Metrics"])}
    reported = sorted({ref.node for ref in graph.outputs.values()} | set(metric_ports))
    return {
        "graph": {"name": graph.name, "file": graph.file, "config": graph.config},
        "nodes": [[n, node.op_name, node.op_cls.version, result.nodes[n].key, params_json(node)]
                  for n, node in nodes.items()],
        "reported": reported,
        "outputs": {out: [ref.node, ref.port] for out, ref in graph.outputs.items()},
        "metric_ports": metric_ports,
    }


def replay_run(args: argparse.Namespace, plan: dict[str, Any]) -> int | None:
    """Record and report the planned run as a fully cached one; None when the store cannot serve every node
    (or the plan file is not one this version wrote)."""
    from ..store import Store

    started = time.perf_counter()
    store = Store(args.store)
    try:
        planned = _read_plan(store, plan)
        if planned is None:
            return None
        result = _record(store, plan, *planned, started, _reporter(args))
    finally:
        store.close()
    from ..commands.run_output import EXIT_CODES, print_result

    print_result(args, result)
    return EXIT_CODES.get(result.status, 1)


def _read_plan(store, plan: dict[str, Any]) -> tuple[dict, dict, dict] | None:
    """(cache hits, outputs, metrics) of the plan, read before anything is written; None to run the slow way."""
    from ..store.codec import CorruptValue

    try:
        keys = {name: key for name, _, _, key, _ in plan["nodes"]}
        hits = store.cache_hits(keys.values())
        if len(hits) < len(set(keys.values())):
            return None
        values = {name: store.load_result(keys[name]) for name in plan["reported"]}
        outputs = {out: values[node][port] for out, (node, port) in plan["outputs"].items()}
        metrics: dict[str, dict[str, dict[str, float]]] = {}  # node -> port -> values
        for name, ports in plan["metric_ports"].items():
            for port in ports:
                if isinstance(value := values[name].get(port), dict):
                    metrics.setdefault(name, {})[port] = metric_values(value)
    except (CorruptValue, KeyError):
        return None  # a lost or damaged result: the slow path warns about it, recomputes and stores it again
    except (TypeError, ValueError, AttributeError):
        return None  # a plan file of another shape
    return hits, outputs, metrics


def _record(store, plan: dict[str, Any], hits: dict, outputs: dict[str, Any],
            metrics_by_node: dict[str, dict[str, dict[str, float]]], started: float, reporter) -> RunResult:
    from ..preview import to_jsonable

    run_id = new_run_id()
    graph = plan["graph"]
    results = {name: NodeResult(name, op, key, status="cached", cache_hit=True)
               for name, op, _, key, _ in plan["nodes"]}
    store.reap_dead_runs()
    store.create_run(run_id, graph["name"], graph["file"], graph["config"], len(results))
    store.add_nodes(run_id, [(n, op, version, key, params, True) for n, op, version, key, params in plan["nodes"]],
                    hits=hits)
    reporter.run_started(_PlannedGraph(graph["name"]), results)
    metrics: dict[str, dict[str, float]] = {}
    for name, ports in metrics_by_node.items():
        for port, values in ports.items():
            metrics.setdefault(metrics_name(name, port), {}).update(values)
            store.record_metrics(run_id, name, port, values)
    result = RunResult(run_id, "succeeded", results, outputs, metrics, time.perf_counter() - started)
    store.finish_run(run_id, "succeeded", None, nodes_cached=len(results), nodes_failed=0, llm_calls=0,
                     cost_usd=0.0, metrics=metrics, outputs=to_jsonable(outputs, limit=50))
    reporter.run_finished(result)
    return result


def _reporter(args: argparse.Namespace):
    from ..reporter import NullReporter, reporter_for

    return NullReporter() if args.quiet else reporter_for(sys.stderr)
