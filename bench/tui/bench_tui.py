"""How fast `pipe tui` opens and scrolls a large store (headless, real keys through Textual's Pilot).

    python bench/tui/bench_tui.py                      # builds /tmp/pipec-bench-tui (1,000 runs, 100k calls) once
    python bench/tui/bench_tui.py --store PATH --size 100x30

Prints: time to the first screen with all runs listed (target < 1 s), time to open the largest run's
LLM calls (50k rows in one node), per-key latency while scrolling through pages of it and of 10,000
per-example rows, a search over the 50k calls, a deep page, the study screen, and a live-refresh cycle.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import sqlite3
import statistics
import time
from pathlib import Path

from make_store import make
from pipec.tui.app import PipeTui
from pipec.tui.pilot import settle as settle_within
from pipec.tui.screens.run import RunScreen
from pipec.tui.widgets.dag_tree import DagTree
from pipec.tui.widgets.paged_table import PagedTable
from textual.geometry import Region


async def settle(pilot) -> None:
    await settle_within(pilot, rounds=None)


async def until(pilot, condition, timeout: float = 30.0) -> float:
    t0 = time.perf_counter()
    while not condition():
        if time.perf_counter() - t0 > timeout:
            raise RuntimeError("timed out")
        await asyncio.sleep(0.002)
    return time.perf_counter() - t0


async def keys_latency(pilot, key: str, n: int) -> list[float]:
    """Pilot round trip per key (press, wait for idle): bound by the harness, ~110 ms even on a 10-row table."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        await pilot.press(key)
        await settle(pilot)
        times.append(time.perf_counter() - t0)
    return times


async def paint_latency(pilot, table, n: int, page_loaded=None) -> list[float]:
    """What one `down` costs the UI thread: the table's cursor action plus repainting its visible lines; when
    the cursor leaves the page, the next page's worker read is waited for and included."""
    times = []
    for _ in range(n):
        offset, serial = getattr(table, "page_offset", None), getattr(table, "_serial", None)
        t0 = time.perf_counter()
        table.action_cursor_down()
        if serial is not None and table._serial != serial:
            await until(pilot, lambda start=offset: table.page_offset != start)
        table.render_lines(Region(0, 0, table.size.width, table.size.height))
        times.append(time.perf_counter() - t0)
        await pilot.pause()
    return times


GC_PAUSES: list[tuple[int, float]] = []  # (generation, seconds) of every collection while the bench runs
_gc_start = [0.0]


def _on_gc(phase: str, info: dict) -> None:
    if phase == "start":
        _gc_start[0] = time.perf_counter()
    else:
        GC_PAUSES.append((info["generation"], time.perf_counter() - _gc_start[0]))


def gc_summary(name: str) -> None:
    full = [t * 1000 for g, t in GC_PAUSES if g == 2]
    print(f"{'  full GC pauses during ' + name:44s} n={len(full):4d}" + (f"  max {max(full):6.1f} ms" if full else ""))
    GC_PAUSES.clear()


def summary(name: str, times: list[float]) -> None:
    ms = sorted(t * 1000 for t in times)
    print(f"{name:44s} n={len(ms):4d}  median {statistics.median(ms):6.1f} ms  p95 {ms[int(len(ms) * .95) - 1]:6.1f} ms"
          f"  max {ms[-1]:6.1f} ms")


@contextlib.asynccontextmanager
async def opened(store: Path, size: tuple[int, int], runs: int):
    """A fresh app with all `runs` listed: (pilot, runs table, seconds from creating the app)."""
    t0 = time.perf_counter()
    app = PipeTui(store, poll_s=None)
    async with app.run_test(size=size) as pilot:
        table = app.screen.query_one("#runs-table")
        await until(pilot, lambda: table.row_count == runs)
        yield pilot, table, time.perf_counter() - t0


async def open_once(store: Path, size: tuple[int, int], runs: int) -> float:
    async with opened(store, size, runs) as (_, _, seconds):
        return seconds


async def bench(store: Path, size: tuple[int, int], runs: int) -> None:
    async with opened(store, size, runs) as (pilot, table, seconds):
        app = pilot.app
        print(f"{'open: all ' + str(runs) + ' runs listed':44s} {seconds * 1000:8.0f} ms"
              "  (from creating the app, textual start included)")
        await settle(pilot)
        summary("runs list: down, Pilot round trip", await keys_latency(pilot, "down", 30))
        summary("runs list: down, action + repaint", await paint_latency(pilot, table, 500))
        for what, act in (("sort 1,000 runs on time", lambda: table.sort_on("time")),
                          ("filter runs: 'run-000' (100 left)", lambda: table.set_filter("run-000")),
                          ("clear the filter (1,000 again)", lambda: table.set_filter("")),
                          ("sort on started again", lambda: table.sort_on("started"))):
            t0 = time.perf_counter()
            act()
            table.render_lines(Region(0, 0, table.size.width, table.size.height))
            t1 = time.perf_counter()
            await settle(pilot)
            print(f"{what:44s} {(t1 - t0) * 1000:8.0f} ms  (idle, column widths measured:"
                  f" {(time.perf_counter() - t0) * 1000:.0f} ms)")
        table.move_cursor(row=table.visible_keys().index("run-00000"))
        t0 = time.perf_counter()
        table.action_select_cursor()  # enter, without Pilot's round trip
        await until(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.data is not None)
        screen = app.screen
        t1 = time.perf_counter()
        tree = screen.query_one(DagTree)
        tree.move_cursor(tree._dag_nodes["generate"])
        calls = screen.query_one("#llm-table", PagedTable)
        screen.action_tab("llm")
        await until(pilot, lambda: calls.page_total > 0 and calls.row_count > 0)
        print(f"{'open the run (DAG shown)':44s} {(t1 - t0) * 1000:8.0f} ms")
        print(f"{'then its 50k-call node, LLM tab, first page':44s} {(time.perf_counter() - t1) * 1000:8.0f} ms")
        await settle(pilot)
        summary("50k LLM calls: down, Pilot round trip", await keys_latency(pilot, "down", 30))
        GC_PAUSES.clear()
        summary("50k LLM calls: down x1000 (10 page loads)", await paint_latency(pilot, calls, 1000))
        gc_summary("those 1000 keys")
        print(f"{'':44s} now at {calls.border_subtitle}")
        summary("page through LLM calls (], Pilot)", await keys_latency(pilot, "right_square_bracket", 20))
        t0 = time.perf_counter()
        calls.load(calls.page_total - 100)
        await settle(pilot)
        print(f"{'jump to the last page of 50k calls':44s} {(time.perf_counter() - t0) * 1000:8.0f} ms")
        t0 = time.perf_counter()
        calls.load(0, "RateLimitError")
        await settle(pilot)
        print(f"{'search 50k calls (RateLimitError)':44s} {(time.perf_counter() - t0) * 1000:8.0f} ms"
              f"  -> {calls.page_total} matches")
        t0 = time.perf_counter()
        await pilot.press("enter")
        await settle(pilot)
        print(f"{'open one call (messages, response)':44s} {(time.perf_counter() - t0) * 1000:8.0f} ms")
        await pilot.press("escape")
        tree.move_cursor(tree._dag_nodes["evaluate"])
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        examples = screen.query_one("#items-table", PagedTable)
        summary("10k example rows: down x500", await paint_latency(pilot, examples, 500))
        await pilot.press("escape")
        await settle(pilot)
        db = sqlite3.connect(store / "store.db")
        with db:
            db.execute("UPDATE runs SET status='failed' WHERE id='run-00500'")
        db.close()
        t0 = time.perf_counter()
        app.action_refresh()
        await until(pilot, lambda: table.all_rows["run-00500"].cells[1] == "failed")
        print(f"{'live refresh: a changed run shows up':44s} {(time.perf_counter() - t0) * 1000:8.0f} ms")
        db = sqlite3.connect(store / "store.db")
        with db:
            db.execute("UPDATE runs SET status='succeeded' WHERE id='run-00500'")
        db.close()
        await pilot.press("2")
        await settle(pilot)
        t0 = time.perf_counter()
        app.screen.query_one("#studies-table").action_select_cursor()  # enter, without Pilot's round trip
        await until(pilot, lambda: getattr(app.screen, "data", None) is not None)
        t1 = time.perf_counter()
        await settle(pilot)
        print(f"{'open a study of 300 trials: table shown':44s} {(t1 - t0) * 1000:8.0f} ms  (all painted, idle:"
              f" {(time.perf_counter() - t0) * 1000:.0f} ms)")
    # last: each app freezes the heap it finds (PipeTui.freeze_heap), so earlier apps would weigh on later ones
    summary("open again: 5 more fresh apps", [await open_once(store, size, runs) for _ in range(5)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, default=Path("/tmp/pipec-bench-tui"))
    parser.add_argument("--size", default="100x30")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    runs = 1000
    if args.rebuild or not (args.store / "store.db").exists():
        t0 = time.perf_counter()
        make(args.store, runs, 100_000, 10_000, 300)
        print(f"built {args.store} in {time.perf_counter() - t0:.1f}s")
    width, height = (int(v) for v in args.size.split("x"))
    gc.callbacks.append(_on_gc)
    asyncio.run(bench(args.store, (width, height), runs))


if __name__ == "__main__":
    main()
