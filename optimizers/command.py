"""`pipe tune`: search the parameters named in a graph's `tune` section (see docs/tune.md)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from pipec.compiler.commands.common import (
    add_graph_options,
    add_run_options,
    compile_graph,
    open_store,
    settings_from_args,
)

STRATEGY_NAMES = ["grid", "random", "greedy", "llm", "halving"]


EPILOG = """examples:
  pipe tune examples/rag/tune.yaml --trials 10                       # the tune section's strategy (random)
  pipe tune examples/rag/tune.yaml --strategy greedy --out best.yaml  # coordinate descent, models first
  pipe tune examples/rag/tune.yaml --strategy halving --seed 1        # successive halving over `questions`
  pipe tune examples/rag/tune.yaml --study rag1 --timeout 60          # run it again to resume study rag1

Every trial is a memoized run: nodes whose inputs and parameters did not change come from the store.
--max-usd and --max-calls count the whole study (its trials and the llm strategy's proposals, earlier
sessions included); --trials counts finished trials of the study, earlier sessions included.
exit codes: 0 the study ended (finished or stopped by a budget), 1 no trial completed, 2 bad input,
130 interrupted (finished trials are kept; resume with --study NAME). See docs/tune.md."""

STUDY_HELP = {
    "--max-usd": "stop the study when its LLM spend (trials + proposer) reaches X USD",
    "--max-calls": "stop the study after N uncached LLM calls (trials + proposer)",
    "--no-cache": "run every node of every trial, ignoring memoized results (for timing comparisons)",
}


def add_arguments(parser):
    import argparse

    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add_graph_options(parser)
    parser.add_argument("--strategy", choices=STRATEGY_NAMES, help="search strategy (default: the tune section's, "
                                                                   "else random)")
    parser.add_argument("--trials", type=int, metavar="N", help="stop when the study has N finished trials "
                                                                "(default: the tune section's trials)")
    parser.add_argument("--timeout", type=float, metavar="T", help="stop after T seconds of wall time (this "
                                                                   "session; the trial in flight is dropped)")
    parser.add_argument("--study", metavar="NAME", help="study name; an existing study resumes")
    parser.add_argument("--seed", type=int, metavar="K", help="random seed (random, halving, llm fallback; "
                                                              "default: the tune section's seed)")
    parser.add_argument("--out", metavar="FILE", help="write the best config as a runnable YAML graph")
    parser.add_argument("--order", metavar="ORDER", help="greedy order: models_first (default), pipeline, or "
                                                         "comma-separated paths")
    parser.add_argument("--llm-model", metavar="MODEL", help="proposer model of the llm strategy")
    parser.add_argument("--json", action="store_true", help="print the study as JSON on stdout")
    parser.add_argument("--quiet", "-q", action="store_true", help="no line per trial")
    add_run_options(parser)
    for action in parser._actions:
        for flag in action.option_strings:
            action.help = STUDY_HELP.get(flag, action.help)


def run(args) -> int:
    from pipec.compiler.errors import UsageError

    from .report import best_yaml, print_report
    from .study import Budgets, Tuner, best_trial

    graph = compile_graph(args, tune=True)
    if graph.spec.tune is None:
        raise UsageError(f"{args.graph} has no 'tune' section (see docs/tune.md)")
    for flag in ("trials", "timeout"):
        value = getattr(args, flag)
        if value is not None and value <= 0:
            raise UsageError(f"--{flag} must be > 0")
    order = args.order
    if order and order not in ("models_first", "pipeline"):
        order = [p.strip() for p in order.split(",") if p.strip()]
    store = open_store(args)
    tuner = Tuner(args.graph, store, strategy=args.strategy, study=args.study, seed=args.seed,
                  overrides=args.overrides, settings=settings_from_args(graph, args), use_cache=not args.no_cache,
                  order=order, llm_model=args.llm_model, on_trial=None if args.quiet else _progress_printer())
    tuner.budgets = Budgets(trials=args.trials or tuner.spec.trials, timeout_s=args.timeout, max_usd=args.max_usd,
                            max_calls=args.max_calls)
    try:
        outcome = tuner.run()
    except KeyboardInterrupt:
        store.close()
        print(f"interrupted: study {tuner.study_name} stopped; finished trials are kept, resume with "
              f"--study {tuner.study_name}", file=sys.stderr)
        sys.stderr.flush()
        os._exit(130)  # a worker thread may still be inside an op; the store is consistent
    best = best_trial(outcome, outcome.history.trials)
    if args.json:
        print(json.dumps(study_json(outcome, best), indent=2, default=str))
    else:
        print_report(outcome, best)
    if outcome.resumed:
        print(f"resumed study {outcome.name}" + (f" ({outcome.reaped} interrupted trial(s) will run again)"
                                                 if outcome.reaped else ""), file=sys.stderr)
    print(f"study {outcome.name}: {outcome.status} ({_reason(outcome.stop_reason)}); "
          f"{len(outcome.history)} trials, LLM ${outcome.totals.get('cost_usd', 0):.4f} in "
          f"{int(outcome.totals.get('llm_calls', 0))} calls", file=sys.stderr)
    if best is None:
        print("no trial completed: nothing to write", file=sys.stderr)
        store.close()
        return 1
    print(f"best: trial {best.number}: {outcome.spec.main.metric} = {best.value:.6g}  "
          + "  ".join(f"{k}={_short(v)}" for k, v in best.config.items()), file=sys.stderr)
    if args.out:
        overrides = tuner.overrides_for(_proposal(best))
        header = (f"best config of study '{outcome.name}' (trial {best.number}: {outcome.spec.main.metric} = "
                  f"{best.value:.6g}), written by pipe tune from {args.graph}")
        Path(args.out).write_text(best_yaml(args.graph, overrides, args.out, header), encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    store.close()
    return 0


def _proposal(trial):
    from .strategies import Proposal

    return Proposal(trial.config, trial.budget)


def _short(value) -> str:
    from .report import short

    return short(value, 40)


def _reason(reason: str) -> str:
    return {"trials": "trial budget reached", "exhausted": "the strategy has nothing left to try",
            "timeout": "--timeout reached", "max_usd": "--max-usd reached", "max_calls": "--max-calls reached",
            }.get(reason, reason)


def _progress_printer():
    state = {"best": None}

    def show(trial, note: str) -> None:
        if trial.score is not None and (state["best"] is None or trial.score > state["best"][0]):
            state["best"] = (trial.score, trial.value)
        value = "failed" if trial.state != "complete" else (f"{trial.value:.4g}" if trial.value is not None else "-")
        best = f" (best {state['best'][1]:.4g})" if state["best"] else ""
        config = " ".join(f"{k}={_short(v)}" for k, v in trial.config.items())
        budget = f" [budget {trial.budget:g}]" if trial.budget is not None else ""
        extra = f"  {trial.error}" if trial.error else ""
        print(f"trial {trial.number}: {value}{best}  {config}{budget}  {trial.totals.get('duration_s', 0):.2f}s "
              f"cached {int(trial.totals.get('cache_hits', 0))}{extra}", file=sys.stderr, flush=True)

    return show


def study_json(outcome, best) -> dict:
    return {
        "study": outcome.name, "study_id": outcome.study_id, "strategy": outcome.strategy, "status": outcome.status,
        "stop_reason": outcome.stop_reason, "objective": outcome.spec.main.model_dump(), "totals": outcome.totals,
        "best": None if best is None else {"number": best.number, "config": best.config, "value": best.value,
                                           "budget": best.budget, "run_id": best.run_id},
        "trials": [{"number": t.number, "state": t.state, "config": t.config, "budget": t.budget, "value": t.value,
                    "metrics": t.metrics, "error": t.error, "note": t.note, **t.totals}
                   for t in outcome.history.trials],
    }
