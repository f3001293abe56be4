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
from pipec.compiler.commands.ranges import POSITIVE_COUNT, SECONDS, SEED

from .parallel_cli import add_parallel_options, parallel_tuner

STRATEGY_NAMES = ["grid", "random", "greedy", "llm", "halving", "hyperband"]  # hyperband: halving, that schedule


EPILOG = """examples:
  pipe tune examples/rag/tune.yaml --trials 10                       # the tune section's strategy (random)
  pipe tune examples/rag/tune.yaml --strategy greedy --out best.yaml  # coordinate descent, models first
  pipe tune examples/rag/tune.yaml --strategy halving --seed 1        # successive halving over `questions`
  pipe tune examples/rag/tune.yaml --study rag1 --timeout 60          # run it again to resume study rag1
  pipe tune examples/rag/tune.yaml --study rag1 --validate            # re-run the validation of a study

Trial 0 is always the graph's own values (the baseline). With tune.validation, trials see only the tuning
part of the questions; at the end the default, the best and the top 3 configs run on the held-out part, and
the report gives the gain over the default on both parts with a paired bootstrap 95% interval.

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
    parser.add_argument("--trials", type=POSITIVE_COUNT, metavar="N", help="stop when the study has N finished trials "
                                                                "(default: the tune section's trials)")
    parser.add_argument("--timeout", type=SECONDS, metavar="T", help="stop after T seconds of wall time (this "
                                                                   "session; the trial in flight is dropped)")
    parser.add_argument("--study", metavar="NAME", help="study name; an existing study resumes")
    parser.add_argument("--seed", type=SEED, metavar="K", help="random seed (random, halving, llm fallback; "
                                                              "default: the tune section's seed)")
    parser.add_argument("--out", metavar="FILE", help="write the best config as a runnable YAML graph (several "
                                                      "objectives: the point tune.pick chooses)")
    parser.add_argument("--out-front", metavar="DIR", help="several objectives: write every Pareto-front point "
                                                           "as DIR/trial-N.yaml")
    parser.add_argument("--validate", action="store_true", help="run no trial: validate the finished study "
                                                                "named by --study (or the last one)")
    parser.add_argument("--order", metavar="ORDER", help="greedy order: models_first (default), pipeline, or "
                                                         "comma-separated paths")
    parser.add_argument("--llm-model", metavar="MODEL", help="proposer model of the llm strategy")
    parser.add_argument("--json", action="store_true", help="print the study as JSON on stdout")
    parser.add_argument("--quiet", "-q", action="store_true", help="no line per trial")
    add_parallel_options(parser)
    add_run_options(parser)
    for action in parser._actions:
        for flag in action.option_strings:
            action.help = STUDY_HELP.get(flag, action.help)


def run(args) -> int:
    from pipec.compiler.errors import UsageError

    from .study import Budgets, run_study

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
    study = args.study
    if args.validate and not study:
        from .records import list_studies

        study = next((r["name"] for r in list_studies(store) if r["graph_file"] == graph.file), None)
        if study is None:
            raise UsageError(f"--validate: no study of {args.graph} in the store; give --study NAME")
    printer = None if args.quiet else _progress_printer()
    tuner_cls, parallel = parallel_tuner(args, graph)
    tuner = tuner_cls(args.graph, store, strategy=args.strategy, study=study, seed=args.seed,
                      overrides=args.overrides, settings=settings_from_args(graph, args), use_cache=not args.no_cache,
                      order=order, llm_model=args.llm_model, on_trial=printer, **parallel)
    if printer is not None:
        printer.tuner = tuner
    tuner.budgets = Budgets(trials=args.trials or tuner.spec.trials, timeout_s=args.timeout, max_usd=args.max_usd,
                            max_calls=args.max_calls)
    for warning in tuner.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    from pipec.compiler import signals

    signals.install()  # SIGINT/SIGTERM: the running trial is cancelled, the study stops, exit 130/143
    try:
        if args.validate:
            outcome = tuner.load()
            tuner.validate(outcome)
        else:
            outcome = run_study(tuner)
    except KeyboardInterrupt:
        store.close()
        print(f"interrupted: study {tuner.study_name} stopped; finished trials are kept, resume with "
              f"--study {tuner.study_name}", file=sys.stderr)
        sys.stderr.flush()
        os._exit(signals.exit_code())  # a worker thread may still be inside an op; the store is consistent
    code = report_outcome(args, tuner, outcome)
    store.close()
    return code


def report_outcome(args, tuner, outcome) -> int:
    """The report (or --json), the summary lines on stderr, and the --out / --out-front files."""
    from .report import print_front, print_report, print_validation
    from .study import best_trial

    best = best_trial(outcome, outcome.history.trials)
    if args.json:
        print(json.dumps(study_json(outcome, best), indent=2, default=str))
    else:
        print_report(outcome, best)
        print_front(outcome)
        print_validation(outcome)
    if outcome.resumed and not args.validate:
        print(f"resumed study {outcome.name}" + (f" ({outcome.reaped} interrupted trial(s) will run again)"
                                                 if outcome.reaped else ""), file=sys.stderr)
    print(f"study {outcome.name}: {outcome.status} ({_reason(outcome.stop_reason, tuner)}); "
          f"{len(outcome.history)} trials, LLM ${outcome.totals.get('cost_usd', 0):.4f} in "
          f"{int(outcome.totals.get('llm_calls', 0))} calls", file=sys.stderr)
    if best is None:
        print("no trial completed: nothing to write", file=sys.stderr)
        return 1
    print(f"best: trial {best.number}: {outcome.spec.main.metric} = {_short(best.value)}  "
          + "  ".join(f"{k}={_short(v)}" for k, v in best.config.items()), file=sys.stderr)
    noise = noise_note(outcome)
    if noise:
        print(f"note: {noise}", file=sys.stderr)
    if args.out:
        write_config(args, tuner, outcome, best, Path(args.out), noise)
    if args.out_front:
        from .pareto import front_trials

        folder = Path(args.out_front)
        folder.mkdir(parents=True, exist_ok=True)
        for t in front_trials(outcome.spec, outcome.history.trials):
            write_config(args, tuner, outcome, t, folder / f"trial-{t.number}.yaml", None, quiet=True)
        print(f"wrote the Pareto front to {folder}/", file=sys.stderr)
    return 0


def write_config(args, tuner, outcome, trial, out: Path, noise: str | None, quiet: bool = False) -> None:
    from .report import best_yaml

    header = (f"config of study '{outcome.name}' (trial {trial.number}: {outcome.spec.main.metric} = "
              f"{_short(trial.value)}), written by pipe tune from {args.graph}")
    if noise:
        header += f"\nnote: {noise}"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(best_yaml(args.graph, tuner.config_overrides(_proposal(trial)), out, header), encoding="utf-8")
    if not quiet:
        print(f"wrote {out}" + (" (the gain is within noise, see the note in the file)" if noise else ""),
              file=sys.stderr)


def noise_note(outcome) -> str | None:
    """A sentence when the first objective's gain is within noise or did not generalize; None otherwise."""
    result = (outcome.validation or {}).get("objectives") or []
    if not result:
        return None
    first = result[0]
    part = first["validation"] or first["tuning"]
    if first["validation"] and first["tuning"]["gain"] and part["gain"] is not None and \
            (part["gain"] > 0) != (first["tuning"]["gain"] > 0):
        return "the best config did not generalize: " + first["verdict"]
    if part.get("within_noise"):
        return "the gain over the default is within noise: " + first["verdict"]
    return None


def _proposal(trial):
    from .strategies import Proposal

    return Proposal(trial.config, trial.budget)


def _short(value) -> str:
    from .report import short

    return short(value, 40)


def _reason(reason: str, tuner=None) -> str:
    failing = "failing"
    if tuner is not None and reason == failing:
        last = tuner.history.trials[-1].error if tuner.history.trials else ""
        return (f"stopped after {tuner.spec.max_consecutive_failures} trials in a row failed with the same error: "
                f"{last}")
    return {"trials": "trial budget reached", "exhausted": "the strategy has nothing left to try",
            "timeout": "--timeout reached", "max_usd": "--max-usd reached", "max_calls": "--max-calls reached",
            }.get(reason, reason)


class _progress_printer:
    """One line per trial on stderr; "best" is the study's (earlier sessions included, full-size trials only)."""

    def __init__(self):
        self.tuner = None

    def __call__(self, trial, note: str) -> None:
        from .study import best_trial

        best_trial_ = best_trial(self.tuner.spec, self.tuner.history.trials) if self.tuner else None
        value = "failed" if trial.state != "complete" else (_short(trial.value) if trial.value is not None else "-")
        best = f" (best {_short(best_trial_.value)})" if best_trial_ is not None else ""
        config = " ".join(f"{k}={_short(v)}" for k, v in trial.config.items())
        budget = f" [budget {trial.budget:g}]" if trial.budget is not None else ""
        extra = f"  {trial.error}" if trial.error else (f"  {note}" if trial.number == 0 else "")
        print(f"trial {trial.number}: {value}{best}  {config}{budget}  {trial.totals.get('duration_s', 0):.2f}s "
              f"cached {int(trial.totals.get('cache_hits', 0))}{extra}", file=sys.stderr, flush=True)


def study_json(outcome, best) -> dict:
    return {
        "study": outcome.name, "study_id": outcome.study_id, "strategy": outcome.strategy, "status": outcome.status,
        "stop_reason": outcome.stop_reason, "objective": outcome.spec.main.model_dump(), "totals": outcome.totals,
        "best": None if best is None else {"number": best.number, "config": best.config, "value": best.value,
                                           "budget": best.budget, "run_id": best.run_id},
        "objectives": [o.model_dump() for o in outcome.spec.all_objectives],
        "front": front_json(outcome),
        "validation": outcome.validation,
        "trials": [{"number": t.number, "state": t.state, "config": t.config, "budget": t.budget, "value": t.value,
                    "metrics": t.metrics, "error": t.error, "note": t.note, **t.totals}
                   for t in outcome.history.trials],
    }


def front_json(outcome) -> list[dict] | None:
    """The Pareto front (several objectives): number, config and the value of each objective."""
    from .pareto import front_trials
    from .study import value_of

    if len(outcome.spec.all_objectives) < 2:
        return None
    return [{"number": t.number, "config": t.config,
             "values": {o.metric: value_of(t, o.metric) for o in outcome.spec.all_objectives}}
            for t in front_trials(outcome.spec, outcome.history.trials)]
