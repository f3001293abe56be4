"""Does a study's gain hold on questions it never saw? `python bench/tune/validation_gain.py`

On the shared HotpotQA and MuSiQue train samples (100 questions each, ../shared/data; skipped with a message
when absent), for random, greedy and halving over N seeds (default 10): the graph of examples/rag/tune.yaml
with the hashing embedder (MiniLM would re-embed every chunk size: minutes a study on 2 cores), objective
recall@5 of the gold passages, validation {fraction: 0.3, seed: SEED}: 70 tuning and 30 held-out questions,
a new split per seed. Per study: the best's gain over the default (trial 0) on the tuning part and on the
validation part, relative, with the paired bootstrap 95% interval of the per-question difference on the
validation part, and the study's verdict. One warm store per data set (chunks and indexes do not depend on the
split, so they are built once); wall times are of a loaded machine (2 cores shared with other engineers).

Options: --seeds N, --trials N (random and greedy; halving runs its own rungs up to 2N trials),
--data hotpotqa,musique, --keep DIR (keep the stores), --strategies random,greedy,halving, --metric NODE.METRIC
(answer_metrics.f1: the extractive reader's F1, the objective whose gain did not generalize in issue 12).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
EXAMPLE = REPO / "examples" / "rag" / "tune.yaml"
DATASETS = {"hotpotqa": "hotpot_train_distractor_sample100.json", "musique": "musique_ans_train_sample100.json"}
SPACE = {"hops": [1, 2], "retriever": ["hybrid", "dense", "bm25"], "fusion": ["rrf", "weighted"],
         "chunk_size": [128, 64, 256], "top_k": [5, 3, 10]}
METRIC = "retrieval_metrics.recall@5"
TARGET = 0.10  # the goal: a validation gain of at least +10% relative


def graph_for(folder: Path, name: str, strategy: str, seed: int, trials: int, metric: str = METRIC) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["params"].update({"data_dir": str(DATA / name), "data_file": DATASETS[name], "embedder": "hashing"})
    data["tune"] = {"objective": metric, "direction": "maximize", "strategy": strategy, "trials": trials,
                    "seed": seed, "space": SPACE, "validation": {"fraction": 0.3, "seed": seed},
                    "halving": {"param": "questions", "min": 8, "max": 70, "eta": 3}}
    path = folder / f"{name}-{metric.rsplit('.', 1)[-1].replace('@', '')}-{strategy}-{seed}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def one_study(store, graph: Path, strategy: str, trials: int) -> dict:
    from pipec.optimizers.study import Budgets, Tuner

    started = time.monotonic()
    tuner = Tuner(graph, store, budgets=Budgets(trials=trials), study=graph.stem)
    outcome = tuner.run()
    result = tuner.validate(outcome)
    objective = result["objectives"][0]
    return {"tuning": objective["tuning"], "validation": objective["validation"], "verdict": objective["verdict"],
            "best": result["best_trial"], "trials": len(outcome.history), "seconds": time.monotonic() - started}


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1%}"


def spread(values: list[float | None]) -> str:
    vs = [v for v in values if v is not None]
    if not vs:
        return "-"
    return f"{pct(statistics.median(vs))} ({pct(min(vs))} .. {pct(max(vs))})"


def table(name: str, results: dict[str, list[dict]], metric: str) -> None:
    header = ["strategy", "tuning gain: median (min..max)", "validation gain: median (min..max)",
              f"val >= +{TARGET:.0%}", "val CI excludes 0", "within noise", "did not generalize",
              "best = default", "s/study (median)"]
    rows = []
    for strategy, runs in results.items():
        v = [r["validation"] for r in runs]
        rows.append([strategy, spread([r["tuning"]["relative_gain"] for r in runs]),
                     spread([x["relative_gain"] for x in v]),
                     f"{sum(1 for x in v if (x['relative_gain'] or 0) >= TARGET)}/{len(runs)}",
                     f"{sum(1 for x in v if x['interval'] and x['interval'][0] > 0)}/{len(runs)}",
                     f"{sum(1 for r in runs if 'within noise' in r['verdict'])}/{len(runs)}",
                     f"{sum(1 for r in runs if 'did not generalize' in r['verdict'])}/{len(runs)}",
                     f"{sum(1 for r in runs if r['best'] == 0)}/{len(runs)}",
                     f"{statistics.median(r['seconds'] for r in runs):.1f}"])
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\n{name}: {metric}, 70 tuning / 30 validation questions, seeds 0..{len(next(iter(results.values()))) - 1}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--data", default="hotpotqa,musique")
    parser.add_argument("--strategies", default="random,greedy,halving")
    parser.add_argument("--keep", metavar="DIR")
    parser.add_argument("--metric", default=METRIC, help=f"the objective (default {METRIC}; e.g. "
                                                         "answer_metrics.f1, the extractive reader's F1)")
    args = parser.parse_args()
    from pipec.compiler.store import Store

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-validation-"))
    folder.mkdir(parents=True, exist_ok=True)
    for name in args.data.split(","):
        if not (DATA / name / DATASETS[name]).exists():
            print(f"skipped {name}: {DATA / name / DATASETS[name]} is absent", file=sys.stderr)
            continue
        store = Store(folder / f"store-{name}")
        results: dict[str, list[dict]] = {}
        started = time.monotonic()
        for strategy in args.strategies.split(","):
            trials = args.trials * 2 if strategy == "halving" else args.trials
            for seed in range(args.seeds):
                graph = graph_for(folder, name, strategy, seed, trials, args.metric)
                run = one_study(store, graph, strategy, trials)
                results.setdefault(strategy, []).append(run)
                print(f"{name} {strategy} seed {seed}: tuning {pct(run['tuning']['relative_gain'])}, validation "
                      f"{pct(run['validation']['relative_gain'])} {run['validation']['interval']}, "
                      f"{run['seconds']:.1f}s; {run['verdict']}", file=sys.stderr, flush=True)
        store.close()
        table(name, results, args.metric)
        print(f"({name}: {time.monotonic() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
