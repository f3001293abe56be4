"""What a study shows: the table of trials, a per-parameter effect summary, and the best config as runnable YAML."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import yaml
from pipec.compiler.compile import override_target, set_path
from pipec.compiler.interpolate import parse_override
from pipec.compiler.yaml_source import load_yaml_file

from .objective import metric_value
from .strategies import TrialView

SHOWN_TEXT = 28
WIDE_PAGE = 220  # columns of the tables when stdout is not a terminal


def short(value: Any, width: int = SHOWN_TEXT) -> str:
    text = f"{value:.4g}" if isinstance(value, float) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def trial_rows(outcome, best: TrialView | None) -> tuple[list[str], list[list[str]]]:
    spec = outcome.spec
    extra = [m.metric for m in ([spec.secondary] if spec.secondary else [])] + [c.metric for c in spec.constraints]
    budgeted = any(t.budget is not None for t in outcome.history.trials)
    header = ["#", "state", *outcome.space.params, *(["budget"] if budgeted else []), spec.main.metric, *extra,
              "cost $", "time s", "cached", "note"]
    rows = []
    for t in sorted(outcome.history.trials, key=lambda t: t.number):
        mark = "★" if best is not None and t.number == best.number else ""
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


def print_report(outcome, best: TrialView | None, console=None) -> None:
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
    if best is not None and len(outcome.history.trials) > 1:
        etable = Table(title=f"effect of each parameter on {outcome.spec.main.metric} (mean / best / trials)",
                       title_justify="left")
        for h in ("parameter", "value", "mean", "best", "n", "spread"):
            etable.add_column(h, justify="left" if h in ("parameter", "value") else "right")
        for path, groups, spread in effects(outcome, best):
            for i, (value, mean, top, n) in enumerate(groups):
                etable.add_row(path if i == 0 else "", value, f"{mean:.4g}", f"{top:.4g}", str(n),
                               f"{spread:.4g}" if i == 0 else "")
        console.print(etable)


def _console():
    """The terminal's width on a terminal; a wide page when piped or redirected (no crushed columns)."""
    from rich.console import Console

    probe = Console()
    return probe if probe.is_terminal else Console(width=WIDE_PAGE)


# --- the best config as YAML ---------------------------------------------------------------------------------

def best_yaml(graph_file: str | Path, overrides: list[Any], out: str | Path, header: str) -> str:
    """The graph's YAML with the overrides applied (comments are not kept); relative paths are rewritten so
    that they still point at the same files from `out`'s folder."""
    src = load_yaml_file(graph_file)
    data = copy.deepcopy(src.data)
    for item in overrides:
        path, value = parse_override(item) if isinstance(item, str) else (list(item[0]), item[1])
        target = override_target(data, path)
        if not isinstance(target, str):
            set_path(data, target, value)
    src_dir = Path(graph_file).resolve().parent
    out_dir = Path(out).resolve().parent
    if src_dir != out_dir:
        data = _rebase(data, src_dir, out_dir)
    lines = [f"# {line}" for line in header.splitlines()]
    return "\n".join(lines) + "\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


def _rebase(value: Any, src_dir: Path, out_dir: Path) -> Any:
    if isinstance(value, dict):
        return {k: _rebase(v, src_dir, out_dir) for k, v in value.items()}
    if isinstance(value, list):
        return [_rebase(v, src_dir, out_dir) for v in value]
    if (isinstance(value, str) and value and "\n" not in value and "${" not in value and len(value) < 400
            and not os.path.isabs(value)):
        candidate = src_dir / value
        try:
            exists = candidate.exists()
        except OSError:
            exists = False
        if exists:
            return os.path.relpath(candidate, out_dir)
    return value
