"""Why greedy stalls on the RAG example's 144-config space (the space of examples/rag/tune.yaml up to
2026-12-01: chunk_size x chunk_overlap x embedder x retriever x top_k, objective answer F1 on all 28 questions).

    python bench/tune/seeds_greedy.py          # ~2 min on 2 shared cores (the grid runs once, memoized)

1. the grid: every config run as a real study (the reference table);
2. greedy (models first / pipeline order) from the graph's own values and from every one of the 144 starts,
   driven against the table (the strategy's own code): the final score / grid optimum, trials used, how
   often it ends within 2% of the optimum;
3. the final configs' neighbourhoods: a config no single-parameter change improves is a coordinate-wise
   local optimum: coordinate descent cannot leave one (what stalled it; greedy now tries pair moves there);
4. random, TPE and greedy side by side on the same table (seeds x trials).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipec.compiler.store import Store  # noqa: E402
from seeds_common import RAG, WITHIN, context_for, drive_table, grid_table, key, write_graph  # noqa: E402

SPACE = {"chunk_size": [64, 128, 256], "chunk_overlap": [0, 32], "embedder": ["minilm", "hashing"],
         "retriever": ["dense", "bm25", "hybrid"], "top_k": [1, 3, 5, 10]}


def neighbours(config: dict, space: dict) -> list[dict]:
    return [{**config, p: v} for p, values in space.items() for v in values if v != config[p]]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", help="folder for the store (default: a temporary one)")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--trials", type=int, default=20)
    args = ap.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="seeds-greedy-"))
    tune = {"objective": "answer_metrics.f1", "secondary": {"metric": "duration_s", "direction": "minimize"},
            "strategy": "greedy", "space": SPACE}
    graph = write_graph(RAG / "tune.yaml",
                        folder / "greedy.yaml", tune, {"chunk_overlap": 16, "chunk_size": 128, "top_k": 5,
                                                       "embedder": "minilm", "retriever": "hybrid"})
    store = Store(folder / ".pipe")
    try:
        table, wall = grid_table(graph, store, [], "grid")
    finally:
        store.close()
    best = max(table.values())
    configs = [dict(zip(SPACE, vs, strict=True)) for vs in itertools.product(*SPACE.values())]
    print(f"grid: {len(table)} configs in {wall:.1f} s; optimum F1 {best:.4f}; "
          f"{sum(v >= (1 - WITHIN) * best for v in table.values())} configs within 2%")
    top = sorted(table.items(), key=lambda kv: -kv[1])[:5]
    for k, v in top:
        print(f"  {v:.4f}  {k}")
    local = [c for c in configs if all(table[key(n)] <= table[key(c)] for n in neighbours(c, SPACE))]
    print(f"coordinate-wise local optima (no single change improves): {len(local)}")
    for c in sorted(local, key=lambda c: -table[key(c)]):
        print(f"  {table[key(c)] / best:.3f} of the optimum  {key(c)}")
    print()
    for order in ("models_first", "pipeline"):
        space, ctx = context_for(graph, 0, order)
        run = drive_table("greedy", space, ctx, table, 1000)
        print(f"greedy {order} from the graph's values: {summary(run, best)}; order {ctx.order}")
        runs = []
        for start in configs:
            space, ctx = context_for(graph, 0, order, start)
            runs.append(drive_table("greedy", space, ctx, table, 1000))
        hits = [within(r, best) for r in runs]
        reached = [h for h in hits if h is not None]
        at20 = [max(t.score for t in r[:20]) / best for r in runs]
        print(f"  from each of the {len(configs)} starts: within 2% after 20 trials in "
              f"{sum(h is not None and h <= 20 for h in hits)}, ever in {len(reached)}; trials to within 2%:"
              f" median {statistics.median(reached) if reached else '-'}, max {max(reached) if reached else '-'};"
              f" best after 20 trials: median {statistics.median(at20):.3f}, min {min(at20):.3f}; stops after"
              f" median {statistics.median(len(r) for r in runs)} trials")
    side_by_side(graph, table, best, args.seeds, args.trials)


def side_by_side(graph, table: dict, best: float, seeds: int, trials: int) -> None:
    """random, TPE and greedy (seeded starts) against the same table: trials to within 2%, best after N."""
    from pipec.optimizers.strategies.random_search import random_configs

    print(f"\n{seeds} seeds x {trials} trials (greedy from a seeded random start; the table's scores):")
    print(f"{'strategy':<22} {'within 2% (seeds)':>18} {'median trials':>14} {'best after 5':>13} "
          f"{'best after ' + str(trials):>14}")
    plans = [("random", "random", None, None), ("TPE (optuna)", "optuna", None, {"n_startup_trials": 5}),
             ("greedy models first", "greedy", "models_first", None), ("greedy pipeline", "greedy", "pipeline", None)]
    for label, name, order, options in plans:
        hits, at5, atn = [], [], []
        for seed in range(seeds):
            space, ctx = context_for(graph, seed, order)
            if name == "greedy":
                ctx.defaults.update(next(random_configs(space, 10_000 + seed)))
            if options:
                ctx.spec = ctx.spec.model_copy(update={"optuna": options})
            run = drive_table(name, space, ctx, table, trials)
            hits.append(within(run, best))
            at5.append(max(t.score for t in run[:5]) / best)
            atn.append(max(t.score for t in run) / best)
        reached = [h for h in hits if h is not None]
        print(f"{label:<22} {len(reached):>10}/{seeds:<7} {statistics.median(reached) if reached else '-':>14} "
              f"{statistics.fmean(at5):>13.3f} {statistics.fmean(atn):>14.3f}")


def within(run, best: float) -> int | None:
    for n in range(1, len(run) + 1):
        if max(t.score for t in run[:n]) >= (1 - WITHIN) * best:
            return n
    return None


def summary(run, best: float) -> str:
    hit = within(run, best)
    first = [t for t in run if "pair move" in (t.note or "")]
    return (f"{max(t.score for t in run[:20]) / best:.3f} of the optimum after 20 trials, "
            f"{max(t.score for t in run) / best:.3f} when it stops after {len(run)}; within 2% at trial "
            f"{hit or '-'}; converged (first pair move) at trial {first[0].number if first else '-'}")


if __name__ == "__main__":
    main()
