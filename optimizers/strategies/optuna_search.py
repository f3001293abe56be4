"""`strategy: optuna`: Optuna's samplers driven through ask/tell, pipec's store the one source of truth.

    tune:
      strategy: optuna
      optuna: {sampler: tpe, n_startup_trials: 5}   # tpe | gp | cmaes | nsgaii | qmc | random, + sampler kwargs
      optuna: {sampler: tpe, pruner: halving}        # with `halving:`: its rungs are intermediate values

The Optuna study lives in memory. Its state is a function of the seed and the sequence of pipec trials, so a
resumed study replays the history through the same ask/tell calls (no objective is run again: each replayed
ask is told the stored score) and continues with exactly the proposals an uninterrupted study would make.
History that does not replay (another version, parallel finish order) is added as finished trials instead.

Distributions come from the space: choices and prompt candidates -> categorical (over the candidates' indices
when a value is not a plain scalar), int/float ranges -> Int/FloatDistribution with step or log (a stepped log
range is sampled on the log scale and snapped to its step). With `objectives:` (several; the Pareto front),
or a secondary objective and `sampler: nsgaii`, the Optuna study has one direction per objective. With `pruner: halving | hyperband` and a `halving:` entry, a
config runs on the smallest rung first and is promoted rung by rung until Optuna's pruner stops it.
A proposal Optuna repeats is told its stored score; after MAX_REPEATS the next unseen random config is used.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .base import History, Proposal, Strategy, TrialView, config_hash, is_pending
from .halving import rung_budgets
from .random_search import random_configs

MAX_REPEATS = 20
SAMPLERS = ("tpe", "gp", "cmaes", "nsgaii", "qmc", "random")
INSTALL = "strategy 'optuna' needs the optional dependency optuna: pip install 'pipec[optuna]'"


class OptunaOptions(BaseModel):
    model_config = ConfigDict(extra="allow")  # the rest are the sampler's keyword arguments

    sampler: Literal["tpe", "gp", "cmaes", "nsgaii", "qmc", "random"] = "tpe"
    pruner: Literal["none", "halving", "hyperband"] = "none"

    @property
    def sampler_kwargs(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


def import_optuna():
    try:
        import optuna
    except ImportError:
        from pipec.compiler.errors import UsageError

        raise UsageError(INSTALL) from None
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # its fallback warnings flood a study
    return optuna


def make_sampler(optuna, name: str, seed: int, kwargs: dict[str, Any]):
    classes = {"tpe": optuna.samplers.TPESampler, "gp": optuna.samplers.GPSampler,
               "cmaes": optuna.samplers.CmaEsSampler, "nsgaii": optuna.samplers.NSGAIISampler,
               "qmc": optuna.samplers.QMCSampler, "random": optuna.samplers.RandomSampler}
    needs = {"cmaes": "cmaes", "gp": "torch"}.get(name)
    if needs:
        import importlib.util

        if importlib.util.find_spec(needs) is None:
            from pipec.compiler.errors import UsageError

            raise UsageError(f"optuna sampler '{name}' needs the package {needs}: pip install {needs}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return classes[name](seed=seed, **kwargs)


class Mapping:
    """pipec space <-> Optuna distributions and params."""

    def __init__(self, optuna, space):
        self.params = list(space)
        self.by_index: dict[str, bool] = {}
        self.dists: dict[str, Any] = {}
        d = optuna.distributions
        for p in self.params:
            if p.categorical:
                scalar = p.kind == "choice" and all(v is None or isinstance(v, (bool, int, float, str))
                                                    for v in p.values)
                self.by_index[p.path] = not scalar
                self.dists[p.path] = d.CategoricalDistribution(
                    list(p.values) if scalar else list(range(len(p.values))))
            elif p.kind == "int":
                step = None if p.log else int(p.step or 1)
                high = int(p.high) if step is None else int(p.low) + (int(p.high) - int(p.low)) // step * step
                self.dists[p.path] = d.IntDistribution(int(p.low), high, log=p.log, step=step or 1)
            else:
                step = None if p.log else p.step
                high = p.high if step is None else p.low + math.floor((p.high - p.low) / step + 1e-9) * step
                self.dists[p.path] = d.FloatDistribution(float(p.low), float(high), log=p.log, step=step)

    def to_config(self, params: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for p in self.params:
            v = params[p.path]
            out[p.path] = p.values[v] if self.by_index.get(p.path) else (v if p.categorical else p.snap(v))
        return out

    def to_params(self, config: dict[str, Any]) -> dict[str, Any] | None:
        """Optuna params of a config, None when a value has no place in the distributions."""
        out = {}
        for p in self.params:
            v = config.get(p.path)
            if self.by_index.get(p.path):
                idx = [i for i, c in enumerate(p.values) if c == v]
                if not idx:
                    return None
                v = idx[0]
            elif p.categorical and v not in p.values:
                return None
            if not self.dists[p.path]._contains(self.dists[p.path].to_internal_repr(v)):
                return None
            out[p.path] = v
        return out


class OptunaSearch(Strategy):
    name = "optuna"
    uses_budget = True  # only with a pruner: the halving rung of the proposal
    options_key = "optuna"
    Options = OptunaOptions

    @classmethod
    def check(cls, spec) -> list[str]:
        problems = super().check(spec)
        opts = None if problems else cls.parse_options(spec)
        if opts is not None and opts.pruner != "none" and spec.halving is None:
            problems.append(f"optuna pruner '{opts.pruner}' needs a 'halving' entry (its rungs) in the tune section")
        return problems

    def __init__(self, space, ctx):
        super().__init__(space, ctx)
        self.optuna = import_optuna()
        problems = self.check(ctx.spec)
        if problems:
            from pipec.compiler.errors import UsageError

            raise UsageError("; ".join(problems))
        self.map = Mapping(self.optuna, space)
        h = ctx.spec.halving
        self.rungs = rung_budgets(h.min, h.max, h.eta) if self.options.pruner != "none" else [None]
        # several objectives (tune.objectives: the Pareto front), or nsgaii with a secondary objective
        self.objectives = list(getattr(ctx.spec, "all_objectives", None) or [ctx.spec.main])
        if len(self.objectives) == 1 and self.options.sampler == "nsgaii" and ctx.spec.secondary is not None:
            self.objectives.append(ctx.spec.secondary)
        self.multi = len(self.objectives) > 1
        self.study = None
        self.open: dict[str, Any] = {}  # config_hash(config, budget) -> the live Optuna trial
        self.consumed = 0  # history trials told to the Optuna study

    def _new_study(self):
        o = self.optuna
        sampler = make_sampler(o, self.options.sampler, self.ctx.seed, self.options.sampler_kwargs)
        pruner = None
        if self.options.pruner == "halving":
            pruner = o.pruners.SuccessiveHalvingPruner(min_resource=self.rungs[0],
                                                       reduction_factor=self.ctx.spec.halving.eta)
        elif self.options.pruner == "hyperband":
            pruner = o.pruners.HyperbandPruner(min_resource=self.rungs[0], max_resource=self.rungs[-1],
                                               reduction_factor=self.ctx.spec.halving.eta)
        directions = ["maximize"] * len(self.objectives)  # every value is oriented: higher is better
        return o.create_study(storage=None, sampler=sampler, pruner=pruner, directions=directions)

    # --- ask -----------------------------------------------------------------------------------------------------
    def ask(self, history: History, pending=()) -> Proposal | None:
        self._sync(history)
        return self._propose(history, pending)

    def _propose(self, history: History, pending=()) -> Proposal | None:
        for key, trial in self.open.items():  # a config promoted to its next rung
            config, budget = trial.user_attrs.get("pipec_config"), trial.user_attrs.get("pipec_budget")
            if key == config_hash(config, budget) and not history.seen(config, budget) \
                    and not is_pending(pending, config, budget):
                return Proposal(config, budget, note=f"optuna {self.options.sampler} trial {trial.number}: "
                                                     f"rung {self.rungs.index(budget) + 1}")
        budget = self.rungs[0]
        for _ in range(MAX_REPEATS):
            trial = self.study.ask(self.map.dists)
            config = self.map.to_config(trial.params)
            if not history.seen(config, budget) and not is_pending(pending, config, budget) \
                    and not self._open_config(config):
                return self._open_trial(trial, config, budget, f"optuna {self.options.sampler} trial {trial.number}")
            prior = history.get(config, budget)
            if prior is not None and prior.score is not None:
                self.study.tell(trial, self._values(prior))
            else:
                self.study.tell(trial, state=self.optuna.trial.TrialState.FAIL)
        for config in random_configs(self.space, self.ctx.seed + len(history)):
            if not history.seen(config, budget) and not is_pending(pending, config, budget) \
                    and not self._open_config(config):
                params = self.map.to_params(config)
                if params is not None:
                    self.study.enqueue_trial(params, skip_if_exists=False)
                trial = self.study.ask(self.map.dists)
                return self._open_trial(trial, self.map.to_config(trial.params), budget,
                                        f"optuna: {MAX_REPEATS} repeated proposals, random fallback")
        return None

    def _open_config(self, config) -> bool:
        return any(t.user_attrs.get("pipec_config") == config for t in self.open.values())

    def _open_trial(self, trial, config, budget, note: str) -> Proposal:
        trial.set_user_attr("pipec_config", config)
        trial.set_user_attr("pipec_budget", budget)
        self.open[config_hash(config, budget)] = trial
        return Proposal(config, budget, note=note + (f": rung 1, {budget} questions" if budget else ""))

    # --- tell: the history, replayed on resume -----------------------------------------------------------------
    def _sync(self, history: History) -> None:
        if self.study is None:
            self.study = self._new_study()
        while self.consumed < len(history.trials):
            done = history.trials[self.consumed]
            key = config_hash(done.config, done.budget)
            if key not in self.open:  # resuming: replay the ask that proposed it
                self._propose(History(history.trials[:self.consumed]))
            trial = self.open.pop(key, None)
            if trial is None:  # does not replay: the open trial fails, the trial is added as finished
                for other in list(self.open.values()):
                    self.study.tell(other, state=self.optuna.trial.TrialState.FAIL)
                self.open.clear()
                self._add_finished(done)
            else:
                self._tell(trial, done)
            self.consumed += 1

    def _tell(self, trial, done: TrialView) -> None:
        states = self.optuna.trial.TrialState
        if done.score is None:
            self.study.tell(trial, state=states.FAIL)
            return
        if done.budget is None or done.budget == self.rungs[-1]:
            self.study.tell(trial, self._values(done))
            return
        trial.report(done.score, step=int(done.budget))
        if trial.should_prune():
            self.study.tell(trial, state=states.PRUNED)
            return
        nxt = self.rungs[self.rungs.index(done.budget) + 1]
        trial.set_user_attr("pipec_budget", nxt)
        self.open[config_hash(done.config, nxt)] = trial

    def _add_finished(self, done: TrialView) -> None:
        params = self.map.to_params(done.config)
        if params is None:
            return
        states = self.optuna.trial.TrialState
        full = done.budget is None or done.budget == self.rungs[-1]
        kwargs: dict[str, Any] = {"params": params, "distributions": self.map.dists}
        if done.score is None:
            kwargs["state"] = states.FAIL
        elif full:
            values = self._values(done)
            kwargs["values"] = values if isinstance(values, list) else [values]
        else:
            kwargs.update(state=states.PRUNED, intermediate_values={int(done.budget): done.score})
        self.study.add_trial(self.optuna.trial.create_trial(**kwargs))

    def _values(self, done: TrialView) -> float | list[float]:
        if not self.multi:
            return float(done.score)
        from ..objective import metric_value, oriented

        values = [float(done.score)]
        for o in self.objectives[1:]:
            try:
                v = oriented(metric_value(done.metrics, done.totals, o.metric), o.direction)
            except KeyError:
                v = -math.inf
            values.append(v if math.isfinite(v) else -1e18)
        return values
