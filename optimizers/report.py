"""What a study shows: the table of trials, a per-parameter effect summary, and the best config as runnable YAML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .objective import metric_value
from .pareto import front_trials
from .strategies import TrialView

SHOWN_TEXT = 28
WIDE_PAGE = 220  # columns of the tables when stdout is not a terminal


def short(value: Any, width: int = SHOWN_TEXT) -> str:
    """A value as a table shows it: 4 significant digits, no '-0', lists and mappings as JSON (null, not None)."""
    if isinstance(value, float):
        text = f"{value + 0.0:.4g}"  # -0.0 + 0.0 is 0.0
        text = "0" if text in ("-0", "0") else text
    elif isinstance(value, (list, dict)) or value is None:
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def trial_rows(outcome, best: TrialView | None) -> tuple[list[str], list[list[str]]]:
    spec = outcome.spec
    extra = [o.metric for o in spec.all_objectives[1:]]
    extra += [m.metric for m in ([spec.secondary] if spec.secondary else [])] + [c.metric for c in spec.constraints]
    on_front = {t.number for t in front_trials(spec, outcome.history.trials)} if len(spec.all_objectives) > 1 \
        else set()
    budgeted = any(t.budget is not None for t in outcome.history.trials)
    header = ["#", "state", *outcome.space.params, *(["budget"] if budgeted else []), spec.main.metric, *extra,
              "cost $", "time s", "cached", "note"]
    rows = []
    for t in sorted(outcome.history.trials, key=lambda t: t.number):
        mark = "★" if best is not None and t.number == best.number else ("◆" if t.number in on_front else "")
        metrics = []
        for address in extra:
            try:
                metrics.append(short(metric_value(t.metrics, t.totals, address)))
            except KeyError:
                metrics.append("-")
        state = t.state if t.score is not None or t.state != "complete" else "infeasible"
        rows.append([f"{mark}{t.number}", state, *(short(t.config.get(p)) for p in outcome.space.params),
                     *([short(t.budget)] if budgeted else []),
                     short(t.value) if t.value is not None else "-", *metrics,
                     f"{t.totals.get('cost_usd') or 0:.4f}", f"{t.totals.get('duration_s') or 0:.2f}",
                     str(int(t.totals.get("cache_hits") or 0)), short(t.error or t.note, 40)])
    return header, rows


def effects(outcome, best: TrialView | None) -> list[tuple[str, list[tuple[str, float, float, int]], float]]:
    """Per parameter: (path, [(value or bin, mean objective, best objective, trials)], spread of the means),
    largest spread first. Over complete feasible trials at the best trial's evaluation budget."""
    budget = best.budget if best else None
    done = [t for t in outcome.history.trials if t.score is not None and t.budget == budget and t.value is not None]
    sign = 1 if outcome.spec.main.direction == "maximize" else -1
    out = []
    for path, param in outcome.space.params.items():
        groups: dict[str, list[float]] = {}
        values = [t.config.get(path) for t in done]
        numeric = not param.categorical and len({v for v in values}) > 6
        lo, hi = (min(values), max(values)) if numeric and values else (0, 0)
        for t, v in zip(done, values, strict=True):
            if numeric and hi > lo:
                i = min(3, int(4 * (v - lo) / (hi - lo)))
                key = f"[{short(lo + (hi - lo) * i / 4, 8)}, {short(lo + (hi - lo) * (i + 1) / 4, 8)}]"
            else:
                key = short(v)
            groups.setdefault(key, []).append(t.value)
        rows = [(k, sum(vs) / len(vs), (max if sign > 0 else min)(vs), len(vs)) for k, vs in groups.items()]
        rows.sort(key=lambda r: -sign * r[1])
        spread = (max(r[1] for r in rows) - min(r[1] for r in rows)) if rows else 0.0
        out.append((path, rows, spread))
    out.sort(key=lambda e: -e[2])
    return out


def print_report(outcome, best: TrialView | None, console=None, effects_table: bool = True) -> None:
    from rich.table import Table

    console = console or _console()
    header, rows = trial_rows(outcome, best)
    table = Table(title=f"study {outcome.name} ({outcome.strategy}): {len(rows)} trials", title_justify="left")
    for h in header:
        shrinkable = h in outcome.space.params or h == "note"
        table.add_column(h, justify="right" if h not in ("state", "note") else "left", no_wrap=True,
                         overflow="ellipsis", max_width=40 if h == "note" else 24,
                         min_width=None if shrinkable else min(len(h), 12))
    for r in rows:
        table.add_row(*r)
    console.print(table)
    if effects_table and best is not None and len(outcome.history.trials) > 1:
        etable = Table(title=f"effect of each parameter on {outcome.spec.main.metric} (mean / best / trials)",
                       title_justify="left")
        for h in ("parameter", "value", "mean", "best", "n", "spread"):
            etable.add_column(h, justify="left" if h in ("parameter", "value") else "right")
        for path, groups, spread in effects(outcome, best):
            for i, (value, mean, top, n) in enumerate(groups):
                etable.add_row(path if i == 0 else "", value, f"{mean:.4g}", f"{top:.4g}", str(n),
                               f"{spread:.4g}" if i == 0 else "")
        console.print(etable)


def print_front(outcome, console=None) -> None:
    """Several objectives: the Pareto front (★ the point --out writes, ◆ the others in the trials table)."""
    from rich.table import Table

    from .study import best_trial, value_of

    spec = outcome.spec
    if len(spec.all_objectives) < 2:
        return
    console = console or _console()
    chosen = best_trial(spec, outcome.history.trials)
    table = Table(title=f"Pareto front ({len(spec.all_objectives)} objectives); ★ picked by "
                        + (f"tune.pick ({spec.pick.metric} within {spec.pick.max_loss:.0%})"
                           if spec.pick and spec.pick.metric else "the knee"), title_justify="left")
    table.add_column("#", justify="right")
    for o in spec.all_objectives:
        table.add_column(f"{o.metric} ({'max' if o.direction == 'maximize' else 'min'})", justify="right")
    table.add_column("config")
    for t in front_trials(spec, outcome.history.trials):
        mark = "★" if chosen is not None and chosen.number == t.number else ""
        values = [short(value_of(t, o.metric)) for o in spec.all_objectives]
        table.add_row(f"{mark}{t.number}", *values, short(" ".join(f"{k}={short(v, 12)}" for k, v in
                                                                  t.config.items()), 80))
    console.print(table)


def validation_rows(outcome) -> list[list[str]]:
    """Per objective: default and best on the tuning and validation parts, gain, interval, items."""
    rows = []
    for o in (outcome.validation or {}).get("objectives") or []:
        for part in ("tuning", "validation"):
            c = o[part]
            if c is None:
                continue
            interval = c["interval"]
            rows.append([o["metric"], part, short(c["default"]), short(c["value"]),
                         "-" if c["relative_gain"] is None else f"{c['relative_gain']:+.1%}",
                         "-" if interval is None else f"[{short(interval[0])}, {short(interval[1])}]",
                         str(c["items"] or "-"), c["note"] or ("within noise" if c["within_noise"] else "")])
    return rows


def print_validation(outcome, console=None) -> None:
    """The default-vs-best table and one verdict per objective, in words."""
    from rich.table import Table

    result = outcome.validation or {}
    if not result.get("objectives"):
        return
    console = console or _console()
    split = result.get("split")
    where = ("no validation part (add tune.validation)" if split is None else
             f"validation: {split['fraction']:.0%} of the questions held out (seed {split['seed']}"
             + (f", by {split['by']}" if split.get("by") else "") + ")" if split["kind"] == "split" else
             f"validation: the graph with {split['set']}")
    table = Table(title=f"default (trial {result.get('default_trial')}) vs best (trial {result.get('best_trial')}); "
                        f"{where}", title_justify="left")
    for h in ("objective", "part", "default", "best", "gain", "95% interval of the difference", "items", "note"):
        table.add_column(h, justify="left" if h in ("objective", "part", "note") else "right")
    for row in validation_rows(outcome):
        table.add_row(*row)
    console.print(table)
    runs = [r for r in result.get("runs") or [] if r["role"] == "top" or r["status"] != "succeeded"]
    for r in runs:
        values = ", ".join(f"{k} = {short(v)}" for k, v in r["values"].items())
        console.print(f"validation of trial {r['trial']} ({r['role']}): {r['status']}"
                      + (f", {values}" if values else "") + (f" ({r['error']})" if r["error"] else ""))
    for o in result["objectives"]:
        console.print(f"verdict: {o['verdict']}")


def console():
    """The console the tables print to (the terminal's width, or a wide page when piped)."""
    return _console()


def _console():
    """The terminal's width on a terminal; a wide page when piped or redirected (no crushed columns)."""
    from rich.console import Console

    probe = Console()
    return probe if probe.is_terminal else Console(width=WIDE_PAGE)


# --- the best config as YAML ---------------------------------------------------------------------------------

def best_yaml(graph_file: str | Path, overrides: list[Any], out: str | Path, header: str) -> str:
    """The graph's own YAML, edited (compiler/export.py): the overrides applied, comments, order and layout
    kept, only the values that differ changed; relative paths still point at the same files from `out`."""
    from pipec.compiler.export import edit_yaml

    return edit_yaml(graph_file, overrides, out, header)
