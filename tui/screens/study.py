"""A tuning study: its trials, the best one, best-so-far and per-parameter plots, and trial diffs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from ..data import fmt
from ..data.study import StudyView, best_so_far, score_against, study_view
from ..widgets.best_plot import BestPlot
from ..widgets.front_plot import FrontData, FrontPlot, front_data
from ..widgets.param_plot import ParamPlot
from ..widgets.trials_table import TrialsTable
from .base import DataScreen
from .diff import DiffScreen


@dataclass
class StudyData:
    view: StudyView
    curve: tuple[list[int], list[float], list[float]]
    series: dict[str, tuple[list[Any], list[float], list[str] | None]] = field(default_factory=dict)
    front: FrontData | None = None  # several objectives: the first two and the Pareto front


def read_study(reader, study_id: str) -> StudyData | None:
    study = reader.study(study_id)
    if study is None:
        return None
    rows = reader.trials(study_id)
    view = study_view(study, rows)
    rows = [r if isinstance(r, dict) else r.to_dict() for r in rows]
    return StudyData(view, best_so_far(view), {p: score_against(view, p) for p in view.params},
                     front_data(study if isinstance(study, dict) else study.to_dict(), rows))


def study_summary(view: StudyView) -> Text:
    s = view.study
    text = Text()
    text.append(s["name"], style="bold")
    text.append(f"  {s['status']}  graph {s['graph_name']}  strategy {s['strategy']}  "
                f"{'maximize' if view.maximize else 'minimize'} {view.metric}  trials {len(view.trials)}")
    cost = sum(t.cost_usd or 0 for t in view.trials)
    text.append(f"  {fmt.usd(cost)}")
    best = view.best
    if best is None:
        text.append("\nno complete trial yet", style="grey62")
    else:
        config = " ".join(f"{k}={fmt.cell(v, 20)}" for k, v in best.config.items())
        text.append(f"\nbest: trial {best.number}  {view.metric}={fmt.number(best.value)}  ", style="green")
        text.append(fmt.short(config, 120))
    return text


class StudyScreen(DataScreen):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("1", "tab('trials')", "Trials"),
        Binding("2", "tab('best')", "Best so far"),
        Binding("3", "tab('params')", "Params"),
        Binding("4", "tab('front')", "Front", show=False),
        Binding("m", "mark", "Mark"),
        Binding("d", "diff", "Diff"),
        Binding("v", "next_param", "Next param"),
    ]

    def __init__(self, study_id: str):
        super().__init__()
        self.study_id = study_id
        self.data: StudyData | None = None
        self.marked: int | None = None
        self.param_index = 0

    def compose(self) -> ComposeResult:
        yield Static("loading…", id="study-summary")
        with TabbedContent(id="study-tabs", initial="trials"):
            with TabPane("Trials", id="trials"):
                yield TrialsTable(id="trials-table")
            with TabPane("Best so far", id="best"):
                yield BestPlot(id="best-plot")
            with TabPane("Params", id="params"):
                yield ParamPlot(id="param-plot")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(TrialsTable).focus()
        super().on_mount()

    def read(self, reader) -> StudyData | None:
        return read_study(reader, self.study_id)

    def show(self, what: str, data: StudyData | None) -> None:
        if data is None:
            self.query_one("#study-summary", Static).update(f"study {self.study_id} is not in the store")
            return
        self.data = data
        view = data.view
        self.query_one("#study-summary", Static).update(study_summary(view))
        self._show_table()
        self.query_one(BestPlot).show(*data.curve, view.metric)
        self._show_param()
        self._show_front(data.front)

    def _show_front(self, front: FrontData | None) -> None:
        """A Front tab (the first two objectives, the front highlighted), only for several objectives."""
        if front is None:
            return
        tabs = self.query_one("#study-tabs", TabbedContent)
        if not self.query("#front-plot"):
            tabs.add_pane(TabPane("Front", FrontPlot(id="front-plot"), id="front"))
            self.call_after_refresh(lambda: self.query_one(FrontPlot).show(front))
            return
        self.query_one(FrontPlot).show(front)

    def _show_table(self) -> None:
        if self.data is None:
            return
        view = self.data.view
        best = view.best.number if view.best else None
        self.query_one(TrialsTable).show(view.trials, best, view.params, view.metric_names, self.marked)

    def _show_param(self) -> None:
        if self.data is None:
            return
        params = self.data.view.params
        plot = self.query_one(ParamPlot)
        if not params:
            plot.show("(no parameters)", [], [], None, self.data.view.metric, "")
            return
        param = params[self.param_index % len(params)]
        xs, ys, labels = self.data.series[param]
        plot.show(param, xs, ys, labels, self.data.view.metric,
                  f"[{self.param_index % len(params) + 1}/{len(params)}]")

    # --- actions --------------------------------------------------------------------------------------------
    def action_tab(self, tab: str) -> None:
        self.query_one("#study-tabs", TabbedContent).active = tab
        if tab == "trials":
            self.query_one(TrialsTable).focus()

    def action_next_param(self) -> None:
        self.param_index += 1
        self.query_one("#study-tabs", TabbedContent).active = "params"
        self._show_param()

    def action_mark(self) -> None:
        trial = self.query_one(TrialsTable).current()
        if trial is not None:
            self.marked = None if self.marked == trial.number else trial.number
            self._show_table()

    def action_diff(self) -> None:
        if self.data is None:
            return
        current = self.query_one(TrialsTable).current()
        by_number = {t.number: t for t in self.data.view.trials}
        other = by_number.get(self.marked) if self.marked is not None else self.data.view.best
        if current is None or other is None:
            self.notify("mark a trial with m first (or wait for a complete trial)", severity="warning")
            return
        self.app.push_screen(DiffScreen(other, current))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        trial = self.query_one(TrialsTable).current()
        if trial is None:
            return
        if trial.run_id:
            self.app.open_run(trial.run_id)
        else:
            self.notify(f"trial {trial.number} has no run in the store", severity="warning")
