"""Helpers of bench/tune/run.py: run one study and summarise it, run configs independently, copy a graph."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pipec.compiler.compile import compile_file
from pipec.compiler.executor import Executor
from pipec.compiler.store import Store
from pipec.optimizers.report import best_yaml
from pipec.optimizers.strategies.random_search import random_configs
from pipec.optimizers.study import Budgets, Tuner

WITHIN = 0.02  # "close to the grid optimum": within 2%


@dataclass
class StudyStats:
    """One study: per trial, the full-evaluation value (None for a failed or partial-budget trial) and the
    questions it evaluated; totals over the study."""

    values: list[float | None] = field(default_factory=list)
    questions: list[int] = field(default_factory=list)
    configs: list[dict[str, Any]] = field(default_factory=list)
    node_execs: int = 0
    llm_calls: int = 0
    wall_s: float = 0.0

    def best(self) -> float:
        return max((v for v in self.values if v is not None), default=0.0)

    def best_after(self, n: int) -> float:
        return max((v for v in self.values[:n] if v is not None), default=0.0)

    def first_within(self, target: float) -> int | None:
        """1-based trial number at which the best so far is within WITHIN of target, or None."""
        for n in range(1, len(self.values) + 1):
            if self.best_after(n) >= (1 - WITHIN) * target:
                return n
        return None

    def questions_until(self, n: int | None) -> int | None:
        return None if n is None else sum(self.questions[:n])


def forget_process_caches() -> None:
    """Empty the process-wide in-memory caches (embeddings, hashed rows, BM25 tokens), so that a run starts as
    cold as a new process."""
    from pipec.compiler.process_caches import clear_process_caches
    from pipec.ops.text import hashing, indexes  # noqa: F401 - imported so that their caches are registered

    clear_process_caches()


@contextmanager
def embedding_clock() -> Iterator[list[float]]:
    """Seconds spent computing embeddings (minilm or API, after the per-text caches) inside the block: [total]."""
    from pipec.ops.text import embedders

    total = [0.0]
    compute = embedders._compute

    async def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return await compute(*args, **kwargs)
        finally:
            total[0] += time.perf_counter() - t0

    embedders._compute = timed
    try:
        yield total
    finally:
        embedders._compute = compute


def run_study(graph: Path, store_dir: Path, strategy: str, seed: int, trials: int, *, full_questions: int,
              overrides: list[Any] | None = None, order: str | None = None, llm_model: str | None = None,
              cold: bool = False) -> StudyStats:
    if cold:
        forget_process_caches()
    store = Store(store_dir)
    try:
        t0 = time.perf_counter()
        tuner = Tuner(graph, store, strategy=strategy, seed=seed, overrides=overrides or [], order=order,
                      llm_model=llm_model, budgets=Budgets(trials=trials),
                      study=f"{strategy}-{order or ''}-{seed}-{time.time_ns()}")
        outcome = tuner.run()
        stats = StudyStats(wall_s=time.perf_counter() - t0, llm_calls=int(outcome.totals.get("llm_calls", 0)))
        top = tuner.spec.halving.max if tuner.spec.halving else None
        for t in outcome.history.trials:
            full = t.budget is None or t.budget == top
            stats.values.append(t.value if t.state == "complete" and full else None)
            stats.questions.append(int(t.budget) if t.budget is not None else full_questions)
            stats.configs.append(t.config)
        stats.node_execs = node_executions(store, [t.run_id for t in outcome.history.trials])
        return stats
    finally:
        store.close()


def node_executions(store: Store, run_ids: list[str | None]) -> int:
    ids = [r for r in run_ids if r]
    if not ids:
        return 0
    marks = ",".join("?" * len(ids))
    rows = store.query(f"SELECT COUNT(*) AS n FROM node_runs WHERE status='succeeded' AND run_id IN ({marks})",
                       tuple(ids))
    return int(rows[0]["n"])


def run_alone(graph: Path, configs: list[dict[str, Any]], folder: Path) -> tuple[float, int]:
    """Each config as its own `pipe run --no-cache` in a fresh store and an empty in-memory embedding cache:
    (wall seconds, node executions)."""
    t0 = time.perf_counter()
    execs = 0
    for i, config in enumerate(configs):
        compiled = compile_file(graph, [(k.split("."), v) for k, v in config.items()])
        forget_process_caches()
        store = Store(folder / f"alone-{i}")
        try:
            result = Executor(compiled, store, use_cache=False).run()
            execs += sum(1 for n in result.nodes.values() if getattr(n, "status", "") == "succeeded")
        finally:
            store.close()
    return time.perf_counter() - t0, execs


def start_overrides(graph: Path, seed: int) -> list[Any]:
    """A seeded random starting point inside the space (greedy starts from the graph's values)."""
    tuner_space = Tuner(graph, _NullStore(), budgets=Budgets(trials=1)).space
    config = next(random_configs(tuner_space, 10_000 + seed))
    return [(k.split("."), v) for k, v in config.items()]


class _NullStore:
    """Tuner only reads its store when a study runs; building one to read the space needs none."""


def graph_copy(src: Path, out: Path, tune: dict[str, Any] | None = None, params: dict[str, Any] | None = None
               ) -> Path:
    """`src` written to `out` with relative file paths rebased, `params` and `tune` keys replaced."""
    text = best_yaml(src, [(["params", k], v) for k, v in (params or {}).items()], out, f"bench copy of {src}")
    data = yaml.safe_load(text)
    data["tune"] = {**(data.get("tune") or {}), **(tune or {})}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return out


def median(values: list[float | int | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else 0.0
