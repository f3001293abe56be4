"""Progress reporting for `pipe run`: a live table on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .graph import CompiledGraph
    from .results import NodeResult, RunResult


class Reporter:
    def run_started(self, graph: CompiledGraph, nodes: dict[str, NodeResult]) -> None: ...
    def node_started(self, name: str) -> None: ...
    def node_progress(self, name: str, done: int, total: int | None) -> None: ...
    def node_warning(self, name: str, message: str) -> None: ...
    def node_finished(self, name: str, result: NodeResult) -> None: ...
    def run_finished(self, result: RunResult) -> None: ...


class NullReporter(Reporter):
    pass


def _status_text(result: NodeResult) -> str:
    if result.status == "cached":
        return "cached"
    if result.status == "failed":
        return f"FAILED: {result.error}"
    return f"{result.status} in {result.duration_s:.2f}s"


class PlainReporter(Reporter):
    """One line per event, for logs and pipes."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.t0 = time.perf_counter()
        self._lock = threading.Lock()

    def _line(self, text: str) -> None:
        with self._lock:
            print(f"[{time.perf_counter() - self.t0:7.2f}s] {text}", file=self.stream, flush=True)

    def run_started(self, graph, nodes):
        cached = sum(1 for r in nodes.values() if r.cache_hit)
        self._line(f"run {graph.name}: {len(nodes)} nodes, {cached} cached")

    def node_started(self, name):
        self._line(f"{name}: started")

    def node_warning(self, name, message):
        self._line(f"{name}: warning: {message}")

    def node_finished(self, name, result):
        if result.status != "skipped" or result.error:
            self._line(f"{name}: {_status_text(result)}")

    def run_finished(self, result):
        self._line(f"run {result.run_id} {result.status} in {result.duration_s:.2f}s "
                   f"({result.cache_hits}/{len(result.nodes)} nodes cached)")


class LiveReporter(Reporter):
    """A rich live table: per-node status, items done/total, elapsed."""

    MAX_ROWS = 30

    def __init__(self, stream: TextIO | None = None):
        from rich.console import Console

        self.console = Console(file=stream or sys.stderr)
        self.nodes: dict[str, Any] = {}
        self.started: dict[str, float] = {}
        self.progress: dict[str, tuple[int, int | None]] = {}
        self.live = None
        self.t0 = time.perf_counter()
        self.title = ""

    def _table(self):
        from rich.table import Table

        table = Table(title=self.title, expand=False, title_justify="left")
        for col in ("node", "op", "status", "items", "time"):
            table.add_column(col)
        now = time.perf_counter()
        rows = list(self.nodes.items())
        active = [r for r in rows if r[1].status in ("running", "failed")]
        rest = [r for r in rows if r[1].status not in ("running", "failed")]
        shown = (active + rest)[: self.MAX_ROWS] if len(rows) > self.MAX_ROWS else rows
        for name, r in shown:
            done, total = self.progress.get(name, (None, None))
            items = f"{done}/{total}" if total else (str(done) if done else "")
            if r.status == "running":
                elapsed = f"{now - self.started.get(name, now):.1f}s"
            elif r.status in ("succeeded", "failed"):
                elapsed = f"{r.duration_s:.2f}s"
            else:
                elapsed = ""
            style = {"succeeded": "green", "cached": "cyan", "failed": "red", "running": "yellow"}.get(r.status, "")
            status = r.status if r.status != "failed" else f"failed: {(r.error or '')[:60]}"
            table.add_row(name, r.op, f"[{style}]{status}[/]" if style else status, items, elapsed)
        if len(rows) > len(shown):
            table.caption = f"... and {len(rows) - len(shown)} more nodes"
        return table

    def run_started(self, graph, nodes):
        from rich.live import Live

        self.title = f"pipe run {graph.name}"
        self.nodes = nodes
        self.live = Live(get_renderable=self._table, console=self.console, refresh_per_second=8, transient=False)
        self.live.start()

    def node_started(self, name):
        self.started[name] = time.perf_counter()

    def node_progress(self, name, done, total):
        self.progress[name] = (done, total)

    def node_warning(self, name, message):
        from rich.text import Text

        self.console.print(Text(f"{name}: warning: {message}", style="yellow"))

    def run_finished(self, result):
        if self.live is not None:
            self.live.stop()
        self.console.print(f"run {result.run_id} [bold]{result.status}[/] in {result.duration_s:.2f}s "
                           f"({result.cache_hits}/{len(result.nodes)} nodes cached)")


def reporter_for(stream: TextIO | None = None) -> Reporter:
    stream = stream or sys.stderr
    return LiveReporter(stream) if stream.isatty() else PlainReporter(stream)
