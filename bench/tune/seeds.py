"""The seeds' comparison on a space with model parameters (examples/rag/models.yaml, 216 configs), in the IBM
RAG-hyperparameter study's protocol: N iterations on the tuning part (the first 20 questions), S seeds, the
best-so-far config scored on the validation part (the other 8 questions, never seen by a trial;
`--data hotpotqa`: 60 and 40 questions of ../shared/data/hotpotqa).

    python bench/tune/seeds.py                     # 10 iterations x 10 seeds (~5 min on 2 shared cores)
    python bench/tune/seeds.py --seeds 3 --iterations 10 --bandit-pulls 60

Strategies (each study a real `pipe tune` study through the Tuner, all in one warm store, so a config the
grid already ran is a cache hit; the cost columns count what each study evaluated, not the cache):
  Greedy-M  greedy, models first (embedder, retriever, reader_embedder, then pipeline order), seeded start
  Greedy-R  greedy in pipeline order, the same seeded starts
  random    seeded random search
  TPE       strategy: optuna, sampler tpe (n_startup_trials 4)
  bandit    strategy: bandit, hier_ucb over minibatches of 5 questions: 10 pulls, and as many pulls as
            questions of 10 full trials (40); the best arm (best mean, >= 2 pulls) counts as best-so-far

Table 1: best-so-far validation F1 / the grid's validation optimum after 5 and 10 iterations (mean, std, min
over seeds), and the cost (trials, questions evaluated, LLM calls, wall s). Table 2: the bandit against the
grid: questions evaluated until the best arm's tuning score is within 2% of the grid's best tuning score, as
a share of the grid's (216 x 20 questions). No LLM is involved, so evaluated questions stand for LLM calls.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipec.compiler.store import Store  # noqa: E402
from pipec.optimizers.strategies import STRATEGIES, History  # noqa: E402
from pipec.optimizers.strategies.random_search import random_configs  # noqa: E402
from pipec.optimizers.study import Budgets, Tuner  # noqa: E402
from seeds_common import RAG, WITHIN, context_for, grid_table, key  # noqa: E402

EXAMPLE = RAG / "models.yaml"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
BATCH = 5
GRAPH = EXAMPLE  # set by main (--data: a copy pointing at ../shared/data/NAME)
TUNING_QUESTIONS = 20
VALIDATION: list = [(["skip"], 20), (["questions"], None)]


def use_data(folder: Path, args) -> None:
    """Point the example at ../shared/data/NAME: the first --tuning questions tune, the next --validation
    validate."""
    global GRAPH, TUNING_QUESTIONS, VALIDATION
    import yaml
    from seeds_common import write_graph

    data = SHARED / args.data
    if not data.is_dir():
        sys.exit(f"{data} not found (the shared data sets live in ../shared/data)")
    tune = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["tune"]
    tune["bandit"]["questions"] = args.tuning
    GRAPH = write_graph(EXAMPLE, folder / "models.yaml", tune, {"data_dir": str(data), "questions": args.tuning})
    TUNING_QUESTIONS = args.tuning
    VALIDATION = [(["skip"], args.tuning), (["questions"], args.validation)]


def run_study(store: Store, strategy: str, seed: int, trials: int, order: str | None = None,
              start: dict[str, Any] | None = None):
    t0 = time.perf_counter()
    overrides = [([k], v) for k, v in (start or {}).items()]
    tuner = Tuner(GRAPH, store, strategy=strategy, seed=seed, order=order, overrides=overrides,
                  budgets=Budgets(trials=trials), study=f"{strategy}-{order}-{seed}-{time.time_ns()}")
    outcome = tuner.run()
    return outcome, time.perf_counter() - t0


def best_so_far(outcome, k: int, seed: int) -> dict[str, Any] | None:
    trials = outcome.history.trials[:k]
    if outcome.strategy == "bandit":
        space, ctx = context_for(GRAPH, seed)
        best = STRATEGIES["bandit"](space, ctx).best(History(trials))
        return best.config if best else None
    done = [t for t in trials if t.score is not None]
    return max(done, key=lambda t: t.score).config if done else None


def questions_of(trials) -> int:
    return int(sum(t.metrics.get("answer_metrics", {}).get("questions", 0) for t in trials))


def stats(values: list[float]) -> str:
    if not values:
        return "-"
    spread = statistics.pstdev(values) if len(values) > 1 else 0.0
    return f"{statistics.fmean(values):.3f} +- {spread:.3f} (min {min(values):.3f})"


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    sys.stdout.flush()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--bandit-pulls", type=int, default=120, help="pulls of the bandit-vs-grid runs")
    ap.add_argument("--keep", help="folder for the store (default: a temporary one)")
    ap.add_argument("--data", help="a data set of ../shared/data (e.g. hotpotqa) instead of the example's")
    ap.add_argument("--tuning", type=int, default=60, help="--data: questions of the tuning part")
    ap.add_argument("--validation", type=int, default=40, help="--data: questions of the validation part")
    args = ap.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="seeds-"))
    if args.data:
        use_data(folder, args)
    store = Store(folder / ".pipe")
    try:
        tuning, t_grid = grid_table(GRAPH, store, [], "grid-tuning")
        validation, v_grid = grid_table(GRAPH, store, VALIDATION, "grid-validation")
        v_opt = max(validation.values())
        t_best_key = max(tuning, key=tuning.get)
        print(f"grid: {len(tuning)} configs; tuning part {TUNING_QUESTIONS} questions ({t_grid:.1f} s), "
              f"validation part {VALIDATION[1][1] or 'the other'} questions ({v_grid:.1f} s, warm); {GRAPH}")
        print(f"grid optimum: tuning F1 {tuning[t_best_key]:.4f} at {t_best_key}; validation F1 of that config "
              f"{validation[t_best_key]:.4f} ({validation[t_best_key] / v_opt:.3f} of the validation optimum "
              f"{v_opt:.4f})")
        space, _ = context_for(GRAPH, 0)
        n = args.iterations
        plans = [("Greedy-M", "greedy", "models_first", n), ("Greedy-R", "greedy", "pipeline", n),
                 ("random", "random", None, n), ("TPE", "optuna", None, n), ("bandit, 10 pulls", "bandit", None, n),
                 (f"bandit, {n * TUNING_QUESTIONS // BATCH} pulls", "bandit", None, n * TUNING_QUESTIONS // BATCH)]
        rows = []
        for label, strategy, order, trials in plans:
            at5, at10, costs = [], [], []
            for seed in range(args.seeds):
                start = next(random_configs(space, 10_000 + seed)) if strategy in ("greedy", "bandit") else None
                outcome, wall = run_study(store, strategy, seed, trials, order, start)
                hist = outcome.history.trials
                for k, bucket in ((min(5, len(hist)) if trials == n else len(hist) // 2, at5),
                                  (len(hist), at10)):
                    config = best_so_far(outcome, k, seed)
                    bucket.append(validation[key(config)] / v_opt if config else 0.0)
                costs.append((len(hist), questions_of(hist), outcome.totals.get("llm_calls", 0), wall))
            rows.append([label, stats(at5), stats(at10),
                         f"{statistics.fmean(c[0] for c in costs):.1f}",
                         f"{statistics.fmean(c[1] for c in costs):.0f}",
                         f"{statistics.fmean(c[2] for c in costs):.0f}",
                         f"{statistics.fmean(c[3] for c in costs):.2f}"])
            print(f"  {label}: done", file=sys.stderr)
        print_table(f"1. best-so-far validation F1 / grid validation optimum ({args.seeds} seeds; mean +- std, "
                    f"min; 'after 5' is after half the pulls for the bandit rows)",
                    ["strategy", "after 5", f"after {n}", "trials", "questions", "LLM calls", "wall s (warm)"],
                    rows)
        bandit_vs_grid(store, tuning, args)
    finally:
        store.close()


def bandit_vs_grid(store: Store, tuning: dict[str, float], args) -> None:
    target = (1 - WITHIN) * max(tuning.values())
    grid_items = len(tuning) * TUNING_QUESTIONS
    rows, items = [], []
    space, _ = context_for(GRAPH, 0)
    for seed in range(args.seeds):
        start = next(random_configs(space, 10_000 + seed))
        outcome, wall = run_study(store, "bandit", seed, args.bandit_pulls, start=start)
        space, ctx = context_for(GRAPH, seed)
        strategy = STRATEGIES["bandit"](space, ctx)
        trials = outcome.history.trials
        hit = None
        for k in range(1, len(trials) + 1):
            best = strategy.best(History(trials[:k]))
            if best is not None and tuning[key(best.config)] >= target:
                hit = k
                break
        used = questions_of(trials[:hit]) if hit else None
        items.append(used)
        final = strategy.best(History(trials))
        rows.append([str(seed), str(hit or "-"), str(used or "-"),
                     f"{used / grid_items:.3f}" if used else "-", str(len(trials)),
                     f"{tuning[key(final.config)] / max(tuning.values()):.3f}", outcome.stop_reason])
    reached = [u for u in items if u]
    rows.append(["median", "", str(int(statistics.median(reached))) if reached else "-",
                 f"{statistics.median(reached) / grid_items:.3f}" if reached else "-", "", "",
                 f"{len(reached)}/{len(items)} reached"])
    print_table(f"2. bandit (hier_ucb, batches of {BATCH}) vs grid ({len(tuning)} configs x {TUNING_QUESTIONS} "
                f"questions = {grid_items} evaluated): questions until the best arm is within 2% of the grid's best "
                f"tuning F1 (target: <= 0.15 of the grid's)",
                ["seed", "pulls", "questions", "/ grid", "pulls run", "final best / grid best", "stop"], rows)


if __name__ == "__main__":
    main()
