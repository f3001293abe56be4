"""The trials of a study: number, state, objective value, metrics, cost, config; the best one starred."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

from ..data import fmt
from ..data.study import Trial
from .cache_cycles import FreeCacheCycles
from .cells import literal


class TrialsTable(FreeCacheCycles, DataTable):
    def __init__(self, **kwargs: Any):
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.trials: list[Trial] = []
        self._signature: tuple = ()

    def show(self, trials: list[Trial], best: int | None, params: list[str], metrics: list[str],
             marked: int | None) -> None:
        signature = (tuple((t.number, t.state, t.value, t.cost_usd) for t in trials), best, marked,
                     tuple(params), tuple(metrics))
        if signature == self._signature:
            return
        self._signature = signature
        current = self.cursor_row
        self.trials = trials
        self.clear(columns=True)
        self.add_columns("#", "state", "value", *metrics, *params, "cost", "time")
        for t in trials:
            mark = "★" if t.number == best else ("▸" if t.number == marked else " ")
            self.add_row(*literal([f"{mark}{t.number}", t.state, fmt.number(t.value),
                                   *(fmt.number(t.metrics.get(m)) for m in metrics),
                                   *(fmt.cell(t.config.get(p), 24) for p in params),
                                   fmt.usd(t.cost_usd), fmt.seconds(t.duration_s)]), key=str(t.number))
        if trials:
            self.move_cursor(row=min(max(current, 0), len(trials) - 1), scroll=False)

    def current(self) -> Trial | None:
        if 0 <= self.cursor_row < len(self.trials):
            return self.trials[self.cursor_row]
        return None
