"""The objective against one parameter (one point per complete trial); categories on a labelled axis."""

from __future__ import annotations

from typing import Any

from textual_plotext import PlotextPlot


class ParamPlot(PlotextPlot):
    def show(self, param: str, xs: list[Any], ys: list[float], labels: list[str] | None, metric: str,
             position: str) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(f"{metric} vs {param}  {position}  (v: next parameter)")
        plt.xlabel(param)
        if xs:
            plt.scatter(xs, ys, marker="dot")
            if labels:
                plt.xticks(list(range(len(labels))), labels)
        self.refresh()
