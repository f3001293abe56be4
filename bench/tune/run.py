"""Benchmark of `pipe tune` (issue 6): what trials save through memoization, and how fast each strategy gets close
to the grid optimum.

    python bench/tune/run.py                      # offline: examples/rag/tune.yaml (+ llm.yaml with fake/echo)
    python bench/tune/run.py --seeds 3 --quick    # a smoke run (~30 s)
    python bench/tune/run.py --data hotpotqa      # also on ../shared/data/hotpotqa (skipped when absent)
    python bench/tune/run.py --cost-data hotpotqa --quick --seeds 1   # section 1 on HotpotQA (minutes)

Sections (each prints a table):
1. cost: wall time of a 20-trial random study / the same 20 configs run one by one with --no-cache, each in
   a fresh store (no memo, no embedding cache). Target <= 0.25. Node executions beside it.
2. quality: the grid over the whole space (its optimum is the reference), then random, greedy (models first
   and pipeline order, from a seeded random start), halving and hyperband (over `questions`) and llm (fake/echo proposer: its
   replies are rejected and it falls back to seeded random, so this row checks plumbing, not an LLM's skill),
   over N seeds, each study in a fresh store. Best-so-far / grid optimum after k trials; trials and evaluated
   questions until within 2%; node executions; wall time.
3. LLM calls (examples/rag/llm.yaml, fake/echo generator and judge; objective retrieval MRR, as the echo's
   answers carry no signal): uncached LLM calls (generator + judge, after the LLM cache) of grid, halving and
   random studies, and the best each found relative to the grid optimum.
4. real data (--data): section 2 on a HotpotQA/SQuAD sample in one warm store (embeddings are slow to
   recompute per study, so node executions and wall time are not comparable there; quality only).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from studies import (  # noqa: E402
    WITHIN,
    StudyStats,
    embedding_clock,
    graph_copy,
    mean,
    median,
    run_alone,
    run_study,
    start_overrides,
)

REPO = Path(__file__).resolve().parents[2]
TUNE_YAML = REPO / "examples" / "rag" / "tune.yaml"
LLM_YAML = REPO / "examples" / "rag" / "llm.yaml"
SHARED = REPO.parent / "shared" / "data"
EXAMPLE_QUESTIONS = 28
STRATEGIES = [("random", None), ("greedy", "models_first"), ("greedy", "pipeline"), ("halving", None),
              ("halving", "hyperband"), ("llm", None)]
CHECKPOINTS = [1, 3, 5, 10, 15, 20]


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))))
    sys.stdout.flush()


def fmt(value: float | int | None, spec: str = ".3f") -> str:
    return "-" if value is None else format(value, spec)


# --- 1. cost --------------------------------------------------------------------------------------------------

def cost_section(folder: Path, trials: int, graph: Path = TUNE_YAML, label: str = "examples/rag/tune.yaml",
                 repeats: int = 1) -> None:
    """The study and the independent runs of its configs, side by side, `repeats` times (the machine is shared:
    each repeat's ratio, and their median)."""
    run_alone(TUNE_YAML, [{}, {"embedder": "hashing"}], folder / "warm-up")  # models loaded, imports done
    study_s, alone_s, study_embed, alone_embed = [], [], [], []
    for r in range(repeats):
        with embedding_clock() as embed:
            study = run_study(graph, folder / f"cost-study-{r}", "random", 0, trials,
                              full_questions=EXAMPLE_QUESTIONS, cold=True)
        study_s.append(study.wall_s)
        study_embed.append(embed[0])
        with embedding_clock() as embed:
            wall, alone_execs = run_alone(graph, study.configs, folder / f"cost-alone-{r}")
        alone_s.append(wall)
        alone_embed.append(embed[0])
    rows = [[f"repeat {r + 1}: study / independent", f"{s:.2f} / {a:.2f}", f"{se:.2f} / {ae:.2f}", f"{s / a:.3f}"]
            for r, (s, a, se, ae) in enumerate(zip(study_s, alone_s, study_embed, alone_embed, strict=True))]
    rows += [[f"{trials}-trial random study (memoized): node executions", str(study.node_execs), "", ""],
             [f"same {len(study.configs)} configs, --no-cache, fresh store each", str(alone_execs), "",
              fmt(study.node_execs / max(1, alone_execs), ".3f")],
             ["ratio (target <= 0.25): median over repeats", "", "",
              fmt(median([s / a for s, a in zip(study_s, alone_s, strict=True)]), ".3f")]]
    print_table(f"1. cost of a study vs independent runs ({label}; {repeats} repeats, each side by side)",
                ["", "wall s", "embedding s", "ratio"], rows)


def real_graph(folder: Path, name: str, questions: int) -> Path | None:
    data = SHARED / name
    if not data.is_dir():
        print(f"\nreal data: skipped ({data} not found; the shared data sets live in ../shared/data)")
        return None
    tune = {"space": REAL_SPACE, "halving": {"param": "questions", "min": max(1, round(questions / 9)),
                                             "max": questions, "eta": 3}}  # 3 rungs
    return graph_copy(TUNE_YAML, folder / f"real-{name}" / "tune.yaml", tune,
                      {"data_dir": str(data), "questions": questions, "chunk_overlap": 0})


# --- 2. quality -----------------------------------------------------------------------------------------------

def strategy_runs(graph: Path, folder: Path, seeds: int, trials: int, full_questions: int, warm: bool
                  ) -> dict[str, list[StudyStats]]:
    out: dict[str, list[StudyStats]] = {}
    for strategy, order in STRATEGIES:
        label = strategy if order is None else order if strategy == "halving" else f"greedy {order.replace('_', ' ')}"
        studied = with_schedule(graph, folder, order) if strategy == "halving" and order else graph
        order = order if strategy == "greedy" else None
        runs = []
        for seed in range(seeds):
            store = folder / ("warm" if warm else f"{label}-{seed}".replace(" ", "-"))
            overrides = start_overrides(graph, seed) if strategy == "greedy" else None
            budget = trials * 2 if strategy == "halving" else trials
            runs.append(run_study(studied, store, strategy, seed, budget, full_questions=full_questions,
                                  overrides=overrides, order=order,
                                  llm_model="fake/proposer" if strategy == "llm" else None, cold=not warm))
        out[label] = runs
        print(f"  {label}: {seeds} studies, {mean([r.wall_s for r in runs]):.2f} s each", file=sys.stderr)
    return out


def with_schedule(graph: Path, folder: Path, schedule: str) -> Path:
    """A copy of `graph` whose halving section uses another schedule (hyperband)."""
    halving = yaml.safe_load(graph.read_text(encoding="utf-8"))["tune"]["halving"]
    return graph_copy(graph, folder / f"{schedule}.yaml", {"halving": {**halving, "schedule": schedule}})


def quality_rows(grid: StudyStats, runs: dict[str, list[StudyStats]]) -> list[list[str]]:
    optimum = grid.best()
    rows = [["grid", "1"] + [fmt(grid.best_after(k) / optimum) for k in CHECKPOINTS]
            + [fmt(grid.first_within(optimum), "d"), fmt(grid.questions_until(grid.first_within(optimum)), "d"),
               str(len(grid.values)), str(sum(grid.questions)), str(grid.node_execs), fmt(grid.wall_s, ".2f")]]
    for label, studies in runs.items():
        curve = [mean([s.best_after(k) / optimum for s in studies]) for k in CHECKPOINTS]
        reach = [s.first_within(optimum) for s in studies]
        within10 = sum(1 for n in reach if n is not None and n <= 10)
        rows.append([label, str(len(studies))] + [fmt(c) for c in curve]
                    + [f"{fmt(median(reach), '.1f')} ({within10}/{len(studies)} <=10)",
                       f"{fmt(median([s.questions_until(n) for s, n in zip(studies, reach, strict=True)]), '.0f')}"
                       f" ({sum(n is not None for n in reach)}/{len(studies)} reach)",
                       fmt(mean([len(s.values) for s in studies]), ".1f"),
                       fmt(mean([sum(s.questions) for s in studies]), ".0f"),
                       fmt(mean([s.node_execs for s in studies]), ".1f"),
                       fmt(mean([s.wall_s for s in studies]), ".2f")])
    return rows


def quality_section(title: str, graph: Path, folder: Path, seeds: int, trials: int, full_questions: int,
                    warm: bool = False) -> None:
    store = folder / ("warm" if warm else "grid")
    grid = run_study(graph, store, "grid", 0, 100_000, full_questions=full_questions, cold=True)
    print(f"  grid: {len(grid.values)} trials, optimum {grid.best():.4f}, {grid.wall_s:.1f} s", file=sys.stderr)
    runs = strategy_runs(graph, folder, seeds, trials, full_questions, warm)
    header = ["strategy", "seeds"] + [f"@{k}" for k in CHECKPOINTS] + [
        f"trials to {WITHIN:.0%}", f"questions to {WITHIN:.0%}", "trials", "questions", "node execs", "wall s"]
    print_table(f"{title}: best so far / grid optimum ({grid.best():.4f}), mean over seeds", header,
                quality_rows(grid, runs))


# --- 3. LLM calls ---------------------------------------------------------------------------------------------

LLM_TUNE = {"objective": "retrieval_metrics.mrr", "strategy": "grid", "trials": 1000,
            "space": {"chunk_size": [64, 128, 256], "retriever": ["dense", "bm25", "hybrid"], "top_k": [1, 3, 5]},
            "halving": {"param": "questions", "min": 3, "max": EXAMPLE_QUESTIONS, "eta": 3}}


def llm_section(folder: Path, seeds: int) -> None:
    graph = graph_copy(LLM_YAML, folder / "llm" / "llm_tune.yaml", LLM_TUNE)
    grid = run_study(graph, folder / "llm" / "grid", "grid", 0, 1000, full_questions=EXAMPLE_QUESTIONS)
    optimum = grid.best()
    rows = [["grid", "1", str(len(grid.values)), str(grid.llm_calls), "1.000", "1.000", fmt(grid.wall_s, ".1f")]]
    hyperband = with_schedule(graph, folder / "llm", "hyperband")
    for label, studied, strategy, trials in (
            ("halving (1 bracket)", graph, "halving", 13), ("halving (2 brackets)", graph, "halving", 26),
            ("hyperband (1 cycle)", hyperband, "halving", 23), ("random 10", graph, "random", 10)):
        studies = [run_study(studied, folder / "llm" / f"{label}-{s}".replace(" ", "-"), strategy, s, trials,
                             full_questions=EXAMPLE_QUESTIONS) for s in range(seeds)]
        calls = mean([s.llm_calls for s in studies])
        rows.append([label, str(seeds), fmt(mean([len(s.values) for s in studies]), ".1f"), fmt(calls, ".0f"),
                     fmt(calls / max(1, grid.llm_calls)), fmt(mean([s.best() / optimum for s in studies])),
                     fmt(mean([s.wall_s for s in studies]), ".1f")])
    print_table(f"3. LLM calls (examples/rag/llm.yaml, fake/echo; {len(LLM_TUNE['space'])} params, grid optimum "
                f"MRR {optimum:.4f})", ["strategy", "seeds", "trials", "LLM calls", "vs grid", "best / grid",
                                        "wall s"], rows)


# --- 4. real data ---------------------------------------------------------------------------------------------

REAL_SPACE = {"chunk_size": [128, 256], "embedder": ["minilm", "hashing"], "retriever": ["dense", "bm25", "hybrid"],
              "top_k": [1, 3, 5, 10]}


def real_section(folder: Path, name: str, seeds: int, trials: int, questions: int) -> None:
    graph = real_graph(folder, name, questions)
    if graph is not None:
        quality_section(f"4. {name} ({questions} questions, warm store)", graph, folder / "real", seeds, trials,
                        questions, warm=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=20, help="trials per study (halving: twice as many)")
    parser.add_argument("--llm-seeds", type=int, default=5)
    parser.add_argument("--checkpoints", default="1,3,5,10,15,20", metavar="K,K,...",
                        help="trials after which the best so far is shown (e.g. every trial: 1,2,...,20)")
    parser.add_argument("--quick", action="store_true", help="skip the LLM-calls section")
    parser.add_argument("--data", metavar="NAME", help="also a data set of ../shared/data (hotpotqa, squad)")
    parser.add_argument("--questions", type=int, default=100, help="questions of the --data sample")
    parser.add_argument("--cost-data", metavar="NAME", help="section 1 on a data set of ../shared/data instead")
    parser.add_argument("--cost-repeats", type=int, metavar="N",
                        help="section 1: study + independent runs N times, interleaved (default 3; 1 with --cost-data)")
    parser.add_argument("--cost-only", action="store_true", help="run section 1 only")
    parser.add_argument("--keep", metavar="DIR", help="keep the stores in DIR (default: a temporary folder)")
    args = parser.parse_args()
    CHECKPOINTS[:] = [int(k) for k in args.checkpoints.split(",") if k.strip()]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-tune-") as tmp:
        folder = Path(args.keep or tmp)
        cost_graph = real_graph(folder, args.cost_data, args.questions) if args.cost_data else None
        repeats = args.cost_repeats or (1 if args.cost_data else 3)
        if cost_graph is not None:
            cost_section(folder / "cost", 20, cost_graph, f"{args.cost_data}, {args.questions} questions", repeats)
        else:
            cost_section(folder / "cost", 20, repeats=repeats)
        if args.cost_only:
            print(f"\ntotal {time.perf_counter() - started:.0f} s")
            return
        quality_section("2. quality (examples/rag/tune.yaml, 5 params, 144 configs, 28 questions)", TUNE_YAML,
                        folder / "quality", args.seeds, args.trials, EXAMPLE_QUESTIONS)
        if not args.quick:
            llm_section(folder, args.llm_seeds)
        if args.data:
            real_section(folder, args.data, args.seeds, args.trials, args.questions)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
