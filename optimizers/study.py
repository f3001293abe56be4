"""Running a study: ask the strategy, run the trial (a memoized run of the graph with the config as overrides),
record it, repeat until the strategy is done or a budget is reached. Resumable: every trial is in the store
as soon as it starts and once it ends, so a study continues after a crash or kill -9 losing at most the trial in
flight.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipec.compiler.compile import compile_source
from pipec.compiler.errors import CompileError, PipeError, UsageError
from pipec.compiler.executor import Executor, new_run_id
from pipec.compiler.spec import Settings
from pipec.compiler.store import Store, process_alive
from pipec.compiler.yaml_source import load_yaml_file

from .objective import evaluate
from .ranking import best_trial, full_size, top_trials, value_of
from .records import INTERRUPTED, StudyRecords, load_json, to_json
from .space import Space, grid_problems, parse_spec
from .strategies import STRATEGIES, History, Proposal, StrategyContext, TrialView, config_hash
from .strategies.context import gateway_completer
from .tune_check import check_values, current_value, is_model_param, pipeline_position
from .tune_spec import TuneSpec
from .validation import part_overrides

FINISHED_REASONS = ("trials", "exhausted")
STRATEGY_ALIASES = {"hyperband": ("halving", "hyperband")}  # --strategy NAME -> (strategy, halving schedule)
BASELINE = "baseline: the graph's own values"  # the note of trial 0


@dataclass
class Budgets:
    trials: int | None = None  # finished trials in the study (earlier sessions included)
    timeout_s: float | None = None  # wall time of this session
    max_usd: float | None = None  # LLM spend of the whole study (trials + proposer)
    max_calls: int | None = None  # uncached LLM calls of the whole study


@dataclass
class StudyOutcome:
    study_id: str
    name: str
    strategy: str
    spec: TuneSpec
    space: Space
    history: History
    stop_reason: str
    status: str
    resumed: bool = False
    reaped: int = 0
    totals: dict[str, float] = field(default_factory=dict)
    validation: dict[str, Any] | None = None  # the validation result (optimizers/validation.py), when run
    recommended: TrialView | None = None  # the strategy's own pick (Strategy.best), e.g. the bandit's best arm


class Tuner:
    def __init__(self, graph_path: str | Path, store: Store, *, strategy: str | None = None,
                 budgets: Budgets | None = None, study: str | None = None, seed: int | None = None,
                 overrides: Iterable[Any] = (), settings: Settings | None = None, registry: Any = None,
                 use_cache: bool = True, order: str | list[str] | None = None, llm_model: str | None = None,
                 on_trial: Callable[[TrialView, str], None] | None = None):
        self.graph_path = Path(graph_path)
        self.store = store
        self.records = StudyRecords(store)
        self.overrides = list(overrides)
        self.registry = registry
        self._source = load_yaml_file(self.graph_path)  # read and parsed once; each trial compiles it again
        self.graph = self.compile_trial(self.overrides)
        if self.graph.spec.tune is None:
            raise UsageError(f"{graph_path} has no 'tune' section", ) from None
        spec, space, problems = parse_spec(self.graph.spec.tune)
        if problems or spec is None or space is None:  # compiling already reported these; defensive
            raise UsageError("; ".join(p.message for p in problems))
        updates: dict[str, Any] = {}
        if order is not None:
            updates["order"] = order
        if llm_model:
            updates["llm"] = (spec.llm.model_copy(update={"model": llm_model}) if spec.llm else
                              {"model": llm_model})
        self.strategy_name = strategy or spec.strategy
        if self.strategy_name in STRATEGY_ALIASES:
            self.strategy_name, schedule = STRATEGY_ALIASES[self.strategy_name]
            if spec.halving is None:
                raise UsageError(f"--strategy {strategy} needs a tune.halving section (param, min, max)")
            updates["halving"] = spec.halving.model_copy(update={"schedule": schedule})
        self.spec = spec.model_validate({**spec.model_dump(), **updates}) if updates else spec
        self.space = space
        _check_order(self.spec.order, space)
        if self.strategy_name not in STRATEGIES:
            from pipec.compiler.errors import did_you_mean

            raise UsageError(f"unknown strategy '{self.strategy_name}'; "
                             + (did_you_mean(self.strategy_name, STRATEGIES) or f"choose {', '.join(STRATEGIES)}"))
        for problem in grid_problems(space, self.strategy_name, self.spec.max_grid):
            raise UsageError(f"{problem.message} ({problem.fix})")
        self.seed = spec.seed if seed is None else seed
        self.budgets = budgets or Budgets(trials=spec.trials)
        self.settings = settings or self.graph.spec.settings
        self.study_name = study or f"{self.graph.name}-{time.strftime('%Y%m%d-%H%M%S')}"
        self.use_cache = use_cache
        self.on_trial = on_trial
        self.history = History([])  # the study's trials, earlier sessions included (set by run)
        self.warnings = out_of_space(self.graph, self.space)
        self._check_keys()
        self._tune_part = part_overrides(self.graph, self.spec, "tune")  # checks tune.validation early

    def _check_keys(self) -> None:
        """A hosted model without its API key would fail every trial the same way: refuse before the first."""
        from .checks import missing_keys

        problems = missing_keys(self.graph)
        if problems:
            raise UsageError("the study's trials would fail: " + "; ".join(problems))

    def compile_trial(self, overrides: list[Any]) -> Any:
        return compile_source(self._source, self.graph_path.resolve().parent, overrides, self.registry)

    # --- the study row ---------------------------------------------------------------------------------------
    def _objective_json(self) -> dict[str, Any]:
        s = self.spec
        out = {"metric": s.main.metric, "direction": s.main.direction,
               "secondary": s.secondary.model_dump() if s.secondary else None,
               "constraints": [c.model_dump() for c in s.constraints]}
        if len(s.all_objectives) > 1:  # only then, so that studies written before still resume
            out["objectives"] = [o.model_dump() for o in s.all_objectives]
            out["pick"] = s.pick.model_dump() if s.pick else None
        return out

    def _settings_json(self, stop_reason: str | None = None) -> dict[str, Any]:
        return {"seed": self.seed, "graph_file": str(self.graph_path.resolve()),
                "overrides": [o if isinstance(o, str) else {"path": ".".join(o[0]), "value": o[1]}
                              for o in self.overrides],
                "order": self.order(), "halving": self.spec.halving.model_dump() if self.spec.halving else None,
                "llm": self.spec.llm.model_dump() if self.spec.llm else None,
                "budgets": self.budgets.__dict__, "stop_reason": stop_reason, "pid": os.getpid()}

    def _open_study(self) -> tuple[str, bool]:
        row = self.records.find(self.study_name)
        if row is None:
            return self.records.create(self.study_name, self.graph.name, self.graph.file, self.strategy_name,
                                       self._objective_json(), self.space.to_json(), self._settings_json()), False
        fix = "use a new --study name, or the same graph and tune section"
        if load_json(row["space_json"]) != load_json(to_json(self.space.to_json())):
            raise UsageError(f"study '{self.study_name}' was created with another search space ({fix})")
        if load_json(row["objective_json"]) != load_json(to_json(self._objective_json())):
            raise UsageError(f"study '{self.study_name}' was created with another objective ({fix})")
        if row["strategy"] != self.strategy_name:
            raise UsageError(f"study '{self.study_name}' uses strategy '{row['strategy']}', not "
                             f"'{self.strategy_name}' (drop --strategy to resume it, or {fix})")
        owner = (load_json(row["settings_json"]) or {}).get("pid")
        if row["status"] == "running" and owner and owner != os.getpid() and process_alive(owner):
            raise UsageError(f"study '{self.study_name}' is running in another process (pid {owner}); wait for it "
                             f"to end or stop it, then run this again to resume")
        stored_seed = (load_json(row["settings_json"]) or {}).get("seed")
        if stored_seed is not None:
            self.seed = stored_seed
        return row["id"], True

    # --- history ---------------------------------------------------------------------------------------------
    def _load_history(self, study_id: str) -> tuple[History, int]:
        rows = self.records.trials(study_id)
        trials = [self._view(r) for r in rows
                  if r["state"] != "running" and not (r["error"] or "").startswith(INTERRUPTED)]
        return History(trials), max((r["number"] for r in rows), default=0)

    def _view(self, row: dict[str, Any]) -> TrialView:
        metrics = load_json(row["metrics_json"]) or {}
        score = None
        if row["state"] == "complete" and row["value"] is not None:
            _, score, _ = evaluate(self.spec, metrics, self._totals(row))
        return TrialView(row["number"], load_json(row["config_json"]), row["budget"], row["state"], score,
                         row["value"], row["run_id"], metrics, row["error"], self._totals(row), row.get("note") or "")

    @staticmethod
    def _totals(row: dict[str, Any]) -> dict[str, float]:
        return {k: row.get(k) or 0.0 for k in ("cost_usd", "duration_s", "llm_calls", "cache_hits")}

    # --- strategy context --------------------------------------------------------------------------------------
    def defaults(self) -> dict[str, Any]:
        out = {}
        for p in self.space:
            value = current_value(self.graph, p.path)
            try:
                out[p.path] = p.repair(value)[0]
            except ValueError:
                out[p.path] = p.grid()[0]
        return out

    def order(self) -> list[str]:
        order = self.spec.order
        if isinstance(order, list):
            return order + [p for p in self.space.params if p not in order]
        index = {p: i for i, p in enumerate(self.space.params)}

        def key(param):
            model_rank = 0 if order == "models_first" and is_model_param(self.graph, param) else 1
            return model_rank, pipeline_position(self.graph, param), index[param.path]

        return [p.path for p in sorted(self.space, key=key)]

    def _context(self, study_id: str) -> StrategyContext:
        return StrategyContext(self.spec, self.seed, self.defaults(), self.order(), failures=self._failures,
                               check_value=self._check_value,
                               complete=gateway_completer(self.store, self.settings.llm, f"tune:{self.study_name}"))

    def _check_value(self, path: str, value: Any) -> list[str]:
        param = self.space.params[path]
        return [p.message for p in check_values(self.graph, path, [value], prompt=param.kind == "prompt")]

    def _failures(self, trial: TrialView) -> list[dict[str, Any]]:
        """Examples the trial got most wrong (per-item rows of the objective's node), for prompt proposals."""
        node, _, metric = self.spec.main.metric.partition(".")
        metric = metric.rsplit(".", 1)[-1]
        cache_key = self.store.node_cache_key(trial.run_id, node)
        if not cache_key or not self.spec.llm or self.spec.llm.failures == 0:
            return []
        items = [r for r in self.store.items(cache_key, limit=1000)
                 if isinstance(r.get(metric), (int, float))]
        sign = 1 if self.spec.main.direction == "maximize" else -1
        items.sort(key=lambda r: sign * r[metric])
        return [{k: v for k, v in r.items() if k not in ("idx",)} for r in items[:self.spec.llm.failures]]

    # --- budgets ------------------------------------------------------------------------------------------------
    def study_totals(self, study_id: str) -> dict[str, float]:
        trial_usd, trial_calls = self.store.trial_spend(study_id)
        proposer_usd, proposer_calls = self.store.llm_spend(f"tune:{self.study_name}")
        return {"cost_usd": trial_usd + proposer_usd, "llm_calls": trial_calls + proposer_calls,
                "proposer_calls": proposer_calls}

    def _budget_stop(self, study_id: str, history: History, started: float) -> str | None:
        b = self.budgets
        if b.trials is not None and len(history) >= b.trials:
            return "trials"
        if b.timeout_s is not None and time.monotonic() - started >= b.timeout_s:
            return "timeout"
        totals = self.study_totals(study_id)
        if b.max_usd is not None and totals["cost_usd"] >= b.max_usd:
            return "max_usd"
        if b.max_calls is not None and totals["llm_calls"] >= b.max_calls:
            return "max_calls"
        return None

    def trial_settings(self, study_id: str) -> Settings:
        llm: dict[str, Any] = {}
        totals = self.study_totals(study_id)
        if self.budgets.max_usd is not None:
            llm["max_usd"] = max(0.0, self.budgets.max_usd - totals["cost_usd"])
        if self.budgets.max_calls is not None:
            llm["max_calls"] = max(0, int(self.budgets.max_calls - totals["llm_calls"]))
        if not llm:
            return self.settings
        return self.settings.model_copy(update={"llm": self.settings.llm.model_copy(update=llm)})

    # --- the loop ------------------------------------------------------------------------------------------------
    def run(self) -> StudyOutcome:
        study_id, resumed = self._open_study()
        reaped = self.records.reap(study_id) if resumed else 0
        history, last_number = self._load_history(study_id)
        self.history = history
        ctx = self._context(study_id)
        strategy = STRATEGIES[self.strategy_name](self.space, ctx)
        self.records.set_status(study_id, "running", self._settings_json())
        started = time.monotonic()
        stop, repeats = None, 0
        try:
            stop = self.run_baseline(study_id, history, started)
            while stop is None:
                stop = self._budget_stop(study_id, history, started)
                if stop:
                    break
                proposal = strategy.ask(history)
                number = last_number + 1
                self._record_notes(study_id, ctx, number if proposal else None)
                if proposal is None:
                    stop = "exhausted"
                    break
                if history.seen(proposal.config, proposal.budget):  # a strategy bug must not loop forever
                    repeats += 1
                    stop = "exhausted" if repeats > 100 else None
                    continue
                trial, stop = self._run_trial(study_id, number, proposal, started)
                last_number = number
                if trial is not None:
                    history.add(trial)
                    strategy.tell(trial)
                    if self.on_trial:
                        self.on_trial(trial, proposal.note)
                    stop = stop or self.failing_stop(history)
        except KeyboardInterrupt:
            self.records.set_status(study_id, "stopped", self._settings_json("interrupted"))
            raise
        status = "finished" if stop in FINISHED_REASONS else "stopped"
        self.records.set_status(study_id, status, self._settings_json(stop))
        outcome = StudyOutcome(study_id, self.study_name, self.strategy_name, self.spec, self.space, history,
                               stop or "exhausted", status, resumed, reaped, self.study_totals(study_id))
        outcome.recommended = strategy.best(history)
        return outcome

    def validate(self, outcome: StudyOutcome) -> dict[str, Any]:
        """Default vs best with intervals; with tune.validation, re-run default, best and top on the held-out
        part first. Kept in the study's settings ("validation") for `pipe study show`."""
        from .validation import validate_study

        self.history = outcome.history
        result = validate_study(self, outcome.study_id)
        row = self.records.find(self.study_name) or {}
        settings = load_json(row.get("settings_json")) or {}
        self.records.set_status(outcome.study_id, row.get("status") or outcome.status,
                                {**settings, "validation": result})
        outcome.validation = result
        return result

    def load(self) -> StudyOutcome:
        """A finished (or stopped) study as it is in the store, without running anything (--validate)."""
        row = self.records.find(self.study_name)
        if row is None:
            raise UsageError(f"no study '{self.study_name}' in the store (pipe studies lists them)")
        study_id, _ = self._open_study()
        history, _ = self._load_history(study_id)
        self.history = history
        settings = load_json(row["settings_json"]) or {}
        return StudyOutcome(study_id, self.study_name, self.strategy_name, self.spec, self.space, history,
                            settings.get("stop_reason") or "exhausted", row["status"], True, 0,
                            self.study_totals(study_id), settings.get("validation"))

    def baseline_proposal(self) -> Proposal:
        """Trial 0: the graph's own value of every parameter (also one outside the space), full size."""
        config = {p.path: current_value(self.graph, p.path) for p in self.space}
        return Proposal({k: v for k, v in config.items() if v is not None}, None, BASELINE)

    def run_baseline(self, study_id: str, history: History, started: float) -> str | None:
        """Run trial 0 unless the study has it; a stop reason when it hit a budget."""
        if any(t.number == 0 for t in history.trials):
            return None
        proposal = self.baseline_proposal()
        trial, stop = self._run_trial(study_id, 0, proposal, started)
        if trial is not None:
            history.add(trial)
            if self.on_trial:
                self.on_trial(trial, proposal.note)
        return stop

    def failing_stop(self, history: History) -> str | None:
        """'failing' when the last tune.max_consecutive_failures trials all failed with the same error."""
        n = self.spec.max_consecutive_failures
        last = history.trials[-n:]
        if len(last) < n or any(t.state != "failed" or not t.error for t in last):
            return None
        return "failing" if len({t.error for t in last}) == 1 else None

    def _record_notes(self, study_id: str, ctx: StrategyContext, number: int | None) -> None:
        for note in ctx.notes:
            accepted = note["outcome"] != "rejected"
            self.records.add_proposal(study_id, note["outcome"], note["reason"], note["reply"], note["config"],
                                      number if accepted else None)
        ctx.notes.clear()

    def overrides_for(self, proposal: Proposal) -> list[Any]:
        """What a trial compiles with: the study's --set, the tuning part of the data, the config, its budget."""
        items = self.config_overrides(proposal) + list(self._tune_part)
        if proposal.budget is not None and self.spec.halving and STRATEGIES[self.strategy_name].uses_budget:
            items.append((self.spec.halving.param.split("."), proposal.budget))
        items += [(p.split("."), v) for p, v in proposal.overrides.items()]  # e.g. a minibatch slice
        return items

    def config_overrides(self, proposal: Proposal) -> list[Any]:
        """The study's --set and the config (what `--out` writes; no data split, no budget)."""
        return list(self.overrides) + [(p.split("."), v) for p, v in proposal.config.items()]

    def _run_trial(self, study_id: str, number: int, proposal: Proposal, started: float
                   ) -> tuple[TrialView | None, str | None]:
        run_id = new_run_id()
        key = config_hash(proposal.config, proposal.budget)
        self.records.start_trial(study_id, number, proposal.config, key, proposal.budget, run_id, proposal.note)
        view = TrialView(number, proposal.config, proposal.budget, "failed", None, run_id=run_id)
        view.note = proposal.note
        try:
            graph = self.compile_trial(self.overrides_for(proposal))
        except CompileError as exc:
            view.error = "the config does not compile: " + "; ".join(d.message for d in exc.diagnostics)
            self.records.finish_trial(study_id, number, "failed", error=view.error)
            return view, None
        executor = Executor(graph, self.store, use_cache=self.use_cache, run_id=run_id, study_id=study_id,
                            trial_number=number, settings=self.trial_settings(study_id))
        remaining = None
        if self.budgets.timeout_s is not None:
            remaining = max(0.01, self.budgets.timeout_s - (time.monotonic() - started))
        try:
            result = asyncio.run(asyncio.wait_for(executor.run_async(), remaining))
        except TimeoutError:
            self.records.finish_trial(study_id, number, "failed", error=f"{INTERRUPTED}: the study's --timeout")
            return None, "timeout"
        except KeyboardInterrupt:
            self.records.finish_trial(study_id, number, "failed", error=f"{INTERRUPTED}: by the user")
            raise
        return self.record_result(study_id, number, view, result)

    def record_result(self, study_id: str, number: int, view: TrialView, result: Any
                      ) -> tuple[TrialView | None, str | None]:
        """Finish trial `number` from its run's result (also used by parallel studies, optimizers/parallel.py)."""
        totals = {"cost_usd": result.cost_usd, "duration_s": result.duration_s, "llm_calls": result.llm_calls,
                  "cache_hits": result.cache_hits}
        view.totals = totals
        common = dict(metrics=result.metrics, cost_usd=result.cost_usd, llm_calls=result.llm_calls,
                      cache_hits=result.cache_hits, duration_s=result.duration_s)
        if result.status == "budget_exceeded":
            self.records.finish_trial(study_id, number, "failed", error=f"{INTERRUPTED}: {result.error}", **common)
            reason = "max_calls" if "call" in (result.error or "") else "max_usd"
            return None, reason
        if result.status != "succeeded":
            view.error = result.error or result.status
            self.records.finish_trial(study_id, number, "failed", error=view.error, **common)
            return view, None
        try:
            value, score, violated = evaluate(self.spec, result.metrics, totals)
        except KeyError as exc:
            view.error = str(exc.args[0])
            self.records.finish_trial(study_id, number, "failed", error=view.error, **common)
            return view, None
        self.records.finish_trial(study_id, number, "complete", value=value,
                                  error=("infeasible: " + "; ".join(violated)) if violated else None, **common)
        view.state, view.value, view.score, view.metrics = "complete", value, score, result.metrics
        view.totals = totals
        view.error = ("infeasible: " + "; ".join(violated)) if violated else None
        return view, None


def run_study(tuner: Tuner) -> StudyOutcome:
    """Run a study and validate it (default vs best with intervals; the held-out part with tune.validation)
    when it ended by its trial budget, its strategy or its --timeout: what `pipe tune` and `pipec.tune` do."""
    outcome = tuner.run()
    if outcome.status == "finished" or outcome.stop_reason in ("timeout", "trials"):
        tuner.validate(outcome)
    return outcome


def _check_order(order: Any, space: Space) -> None:
    """--order / tune.order: a usage error naming the closest path, before any study is created."""
    if not isinstance(order, list):
        return
    from pipec.compiler.errors import did_you_mean

    for name in order:
        if name not in space.params:
            hint = did_you_mean(name, space.params) or f"the space has: {', '.join(space.params)}"
            raise UsageError(f"--order: '{name}' is not a parameter of the space; {hint} "
                             f"(or use models_first or pipeline)")


def out_of_space(graph: Any, space: Space) -> list[str]:
    """A warning per parameter whose value in the graph is not in its space (the baseline still uses it)."""
    out = []
    for p in space:
        value = current_value(graph, p.path)
        if value is not None and not p.contains(value):
            out.append(f"tune: the graph's value of '{p.path}' ({value!r}) is outside its space; trial 0 (the "
                       f"baseline) uses it, the strategy never proposes it")
    return out



__all__ = ["BASELINE", "Budgets", "PipeError", "StudyOutcome", "Tuner", "best_trial", "full_size", "run_study",
           "top_trials", "value_of"]
