"""Rows of the home screen: runs and studies as display-ready records with sort keys and search text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import fmt


@dataclass
class Row:
    """One line of a list: `cells` in column order, `keys` for sorting, lowercase `text` for filtering."""

    key: str
    cells: list[str]
    keys: dict[str, Any] = field(default_factory=dict)
    text: str = ""


RUN_COLUMNS = ["graph", "status", "started", "time", "metrics", "cost", "cached", "llm", "run"]
STUDY_COLUMNS = ["study", "graph", "status", "strategy", "trials", "best", "cost", "created"]


def run_row(r: dict[str, Any]) -> Row:
    metrics = fmt.flat_metrics(r.get("metrics_json"))
    graph = r["graph_name"] + (f" #{r['trial_number']}" if r.get("trial_number") is not None else "")
    cells = [graph, r["status"], fmt.when(r["started_at"]), fmt.seconds(r["duration_s"]),
             fmt.headline(metrics), fmt.usd(r["cost_usd"]), f"{r['nodes_cached']}/{r['nodes_total']}",
             str(r["llm_calls"]), r["id"]]
    first_metric = next(iter(metrics.values()), None)
    keys = {"graph": r["graph_name"], "status": r["status"], "started": r["started_at"],
            "time": r["duration_s"] or 0.0, "metrics": first_metric if first_metric is not None else float("-inf"),
            "cost": r["cost_usd"] or 0.0, "cached": r["nodes_cached"], "llm": r["llm_calls"], "run": r["id"]}
    return Row(r["id"], cells, keys, " ".join(cells).lower())


def objective(objective_json: str | None) -> tuple[str, bool]:
    """(metric name, maximize?) from a study's objective, whatever its exact shape."""
    obj = fmt.loads(objective_json, {})
    if isinstance(obj, str):
        return obj, True
    if not isinstance(obj, dict):
        return "value", True
    name = str(obj.get("metric") or obj.get("name") or obj.get("key") or "value")
    direction = str(obj.get("direction") or obj.get("mode") or obj.get("goal") or "maximize").lower()
    return name, not direction.startswith("min")


def study_status(s: dict[str, Any]) -> str:
    """The stored status, except `interrupted` for a `running` study whose process no longer exists."""
    if s["status"] != "running":
        return s["status"]
    from pipec.compiler.store.process import process_alive

    pid = (fmt.loads(s.get("settings_json"), {}) or {}).get("pid")
    return "running" if pid and process_alive(pid) else "interrupted"


def study_row(s: dict[str, Any]) -> Row:
    metric, maximize = objective(s.get("objective_json"))
    best = s.get("best_max") if maximize else s.get("best_min")
    trials = f"{s.get('complete') or 0}/{s.get('trials') or 0}"
    status = study_status(s)
    cells = [s["name"], s["graph_name"], status, s["strategy"], trials,
             f"{metric}={fmt.number(best, 4)}" if best is not None else "-", fmt.usd(s.get("cost_usd")),
             fmt.when(s["created_at"])]
    keys = {"study": s["name"], "graph": s["graph_name"], "status": status, "strategy": s["strategy"],
            "trials": s.get("trials") or 0, "best": best if best is not None else float("-inf"),
            "cost": s.get("cost_usd") or 0.0, "created": s["created_at"]}
    return Row(s["id"], cells, keys, " ".join(cells).lower())
