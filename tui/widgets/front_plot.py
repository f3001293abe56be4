"""A study with several objectives: a 2-D scatter of the first two, the Pareto front highlighted."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from textual_plotext import PlotextPlot


@dataclass
class FrontData:
    """The first two objectives of every complete trial, and which trials are on the (all-objective) front."""

    metrics: list[str]
    directions: list[str]
    numbers: list[int] = field(default_factory=list)
    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)
    front: list[int] = field(default_factory=list)  # trial numbers on the front


def front_data(study: dict[str, Any], rows: list[dict[str, Any]]) -> FrontData | None:
    """None for a single-objective study."""
    from pipec.optimizers.objective import metric_value, oriented
    from pipec.optimizers.pareto import front

    try:
        objectives = (json.loads(study.get("objective_json") or "{}") or {}).get("objectives") or []
    except ValueError:
        return None
    if len(objectives) < 2:
        return None
    data = FrontData([o["metric"] for o in objectives], [o.get("direction", "maximize") for o in objectives])
    points = []
    for r in rows:
        if r.get("state") != "complete" or (r.get("error") or "").startswith("infeasible"):
            continue
        try:
            metrics = json.loads(r.get("metrics_json") or "{}")
            totals = {k: r.get(k) or 0.0 for k in ("cost_usd", "duration_s", "llm_calls", "cache_hits")}
            values = [metric_value(metrics, totals, m) for m in data.metrics]
        except (KeyError, ValueError):
            continue
        data.numbers.append(r["number"])
        data.xs.append(values[0])
        data.ys.append(values[1])
        points.append(tuple(oriented(v, d) for v, d in zip(values, data.directions, strict=True)))
    data.front = [data.numbers[i] for i in front(points)]
    return data


class FrontPlot(PlotextPlot):
    def show(self, data: FrontData | None) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        if data is None:
            plt.title("one objective: no Pareto front")
            self.refresh()
            return
        arrows = ["↑" if d == "maximize" else "↓" for d in data.directions]
        plt.title(f"Pareto front of {len(data.metrics)} objectives ({len(data.front)} trials on it)")
        plt.xlabel(f"{data.metrics[0]} {arrows[0]}")
        plt.ylabel(f"{data.metrics[1]} {arrows[1]}")
        on = set(data.front)
        others = [i for i, n in enumerate(data.numbers) if n not in on]
        ours = sorted((i for i, n in enumerate(data.numbers) if n in on), key=lambda i: data.xs[i])
        if others:
            plt.scatter([data.xs[i] for i in others], [data.ys[i] for i in others], marker="dot", label="trial",
                        color="gray")
        if ours:
            plt.plot([data.xs[i] for i in ours], [data.ys[i] for i in ours], marker="braille", label="front",
                     color="green")
            plt.scatter([data.xs[i] for i in ours], [data.ys[i] for i in ours], marker="o", color="green")
        self.refresh()
