"""Best-so-far objective over trials (line) with each trial's value (points)."""

from __future__ import annotations

from textual_plotext import PlotextPlot


class BestPlot(PlotextPlot):
    def show(self, numbers: list[int], values: list[float], best: list[float], metric: str) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(f"best {metric} so far")
        plt.xlabel("trial")
        if numbers:
            plt.scatter(numbers, values, marker="dot", label="trial")
            plt.plot(numbers, best, marker="braille", label="best so far")
        self.refresh()
