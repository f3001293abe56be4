"""Helpers of bench/tune/seeds.py and seeds_greedy.py: write a graph with a given tune section, score every
config of its space with a real grid study (the reference table), and drive a strategy class against such a
table (the strategy's own code; only the objective is looked up)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import yaml
from pipec.compiler.store import Store
from pipec.optimizers.strategies import STRATEGIES, History, StrategyContext, TrialView
from pipec.optimizers.study import Budgets, Tuner

REPO = Path(__file__).resolve().parents[2]
RAG = REPO / "examples" / "rag"
WITHIN = 0.02


def key(config: dict[str, Any]) -> str:
    return json.dumps(config, sort_keys=True, default=str)


def write_graph(src: Path, out: Path, tune: dict[str, Any], params: dict[str, Any] | None = None) -> Path:
    """`src` with its data path made absolute, `params` set and the tune section replaced."""
    data = yaml.safe_load(src.read_text(encoding="utf-8"))
    data["params"].update(params or {})
    if not Path(str(data["params"].get("data_dir", ""))).is_absolute():
        data["params"]["data_dir"] = str((src.parent / data["params"]["data_dir"]).resolve())
    prompts = src.parent / "prompts"
    if prompts.is_dir() and not (out.parent / "prompts").exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        (out.parent / "prompts").symlink_to(prompts)
    data["tune"] = tune
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return out


def grid_table(graph: Path, store: Store, overrides: list[Any], name: str) -> tuple[dict[str, float], float]:
    """Every config of the space run as a real grid study: {config key: objective value}, wall seconds."""
    t0 = time.perf_counter()
    outcome = Tuner(graph, store, strategy="grid", overrides=overrides, budgets=Budgets(trials=100_000),
                    study=f"{name}-{time.time_ns()}").run()
    table = {key(t.config): t.value for t in outcome.history.trials  # trial 0 too, when inside the space
             if t.state == "complete" and t.value is not None and t.budget is None
             and not outcome.space.validate_config(t.config)}
    return table, time.perf_counter() - t0


def context_for(graph: Path, seed: int, order: str | None = None, start: dict[str, Any] | None = None):
    """(space, StrategyContext) of a graph's tune section, as `pipe tune` builds them (no store needed)."""
    tuner = Tuner(graph, _NoStore(), budgets=Budgets(trials=1), order=order, seed=seed)
    defaults = dict(tuner.defaults())
    if start:
        defaults.update(start)
    return tuner.space, StrategyContext(tuner.spec, seed, defaults, tuner.order())


def drive_table(name: str, space, ctx, table: dict[str, float], trials: int) -> list[TrialView]:
    """The strategy `name` asked and told `trials` times, each config's score looked up in `table`."""
    strategy = STRATEGIES[name](space, ctx)
    history = History([])
    while len(history) < trials:
        proposal = strategy.ask(history)
        if proposal is None:
            break
        value = table[key(proposal.config)]
        trial = TrialView(len(history) + 1, dict(proposal.config), proposal.budget, "complete", value, value,
                          note=proposal.note)
        history.add(trial)
        strategy.tell(trial)
    return history.trials


class _NoStore:
    """Tuner reads its store only when a study runs."""
