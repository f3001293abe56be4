"""Validation inside a study: the held-out part of the evaluation data (`tune.validation`), the re-runs of the
default, the best and the top configs on it, and the comparisons the report prints.

    tune:
      validation: {fraction: 0.3, seed: 0, by: type}      # a seeded (stratified) split of the questions
      validation: {set: {data_dir: other/data}}           # or: the same graph pointed at other data

A split is the SplitParams parameter (load.dataset / load.questions `split`, kg.questions `holdout`) of the
dataset node whose questions reach the objective: trials get `part: tune`, the validation runs
`part: validation`. Everything downstream of the
questions is memoized as usual, so the re-runs cost one evaluation each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from pipec.compiler.errors import UsageError, did_you_mean

from .records import node_items
from .stats import Comparison, paired_bootstrap, verdict
from .tune_spec import SPECIAL_METRICS, ObjectiveSpec, TuneSpec

DEFAULT_FRACTION = 0.3
TOP = 3  # configs re-run on the validation part besides the default and the best
MEAN_TOLERANCE = 2e-3  # per-item rows count as the metric's items when their mean is this close to it


# --- the split -------------------------------------------------------------------------------------------------

def split_node(graph: Any, spec: TuneSpec) -> str:
    """The dataset node whose questions are split: the one upstream of the (first) objective's node."""
    wanted = spec.validation.node if spec.validation else None
    candidates = [n for n, node in graph.nodes.items() if split_field(node)]
    if wanted:
        if wanted not in candidates:
            raise UsageError(f"tune.validation.node: '{wanted}' is not a dataset node with a `split` parameter"
                             + (f" ({hint})" if (hint := did_you_mean(wanted, candidates)) else
                                f" (candidates: {', '.join(candidates) or 'none'})"))
        return wanted
    metric_node = spec.main.metric.partition(".")[0]
    upstream = nx.ancestors(graph.dag, metric_node) if metric_node in graph.dag else set()
    feeding = {ref.node for n in upstream | {metric_node} for ref in graph.nodes[n].upstream()
               if ref.port == "questions"}
    found = [n for n in candidates if n in upstream and n in feeding]  # whose questions reach the objective
    if len(found) == 1:
        return found[0]
    if not found:
        raise UsageError(f"tune.validation: no dataset node (load.dataset, load.questions, kg.questions) feeds the objective's "
                         f"node '{metric_node}', so there are no questions to split; give validation: "
                         f"{{set: {{...}}}} to validate on other data")
    raise UsageError(f"tune.validation: the objective reaches several dataset nodes ({', '.join(found)}); "
                     f"name one with validation: {{node: NAME}}")


def split_field(node: Any) -> str | None:
    """The node's parameter that takes a SplitParams (load.dataset `split`, kg.questions `holdout`), or None."""
    from pipec.ops.text.sampling import SplitParams

    for name, info in node.op_cls.Params.model_fields.items():
        if SplitParams in getattr(info.annotation, "__args__", (info.annotation,)):
            return name
    return None


def part_overrides(graph: Any, spec: TuneSpec, part: str) -> list[tuple[list[str], Any]]:
    """The overrides that give the trials (part='tune') or the validation runs (part='validation') their data."""
    v = spec.validation
    if v is None:
        return []
    if v.set and v.fraction is None:
        return [] if part == "tune" else [(k.split("."), value) for k, value in v.set.items()]
    node = split_node(graph, spec)
    if node in (graph.config.get("params") or {}):
        raise UsageError(f"tune.validation: the dataset node '{node}' has the name of a pipeline parameter, so "
                         f"'{node}.split' would set the parameter; rename the node")
    split = {"fraction": v.fraction or DEFAULT_FRACTION, "seed": v.seed, "by": v.by, "part": part}
    out = [([node, split_field(graph.nodes[node])], split)]
    if part == "validation" and v.set:
        out += [(k.split("."), value) for k, value in v.set.items()]
    return out


def describe(spec: TuneSpec) -> dict[str, Any] | None:
    v = spec.validation
    if v is None:
        return None
    if v.set and v.fraction is None:
        return {"kind": "set", "set": v.set}
    return {"kind": "split", "fraction": v.fraction or DEFAULT_FRACTION, "seed": v.seed, "by": v.by,
            "set": v.set}


# --- per-item scores -------------------------------------------------------------------------------------------

def item_scores(store: Any, run_id: str | None, metric: str, value: float | None
                ) -> tuple[dict[str, float] | None, str]:
    """{item id: score} of a per-item-mean metric in a run, or (None, why not)."""
    if metric in SPECIAL_METRICS:
        return None, f"{metric} is a run total, not a mean over items: no interval"
    if run_id is None:
        return None, "no run"
    node, _, rest = metric.partition(".")
    name = rest.rsplit(".", 1)[-1]
    rows = node_items(store, run_id, node) or []
    keys = sorted({k for r in rows for k, v in r.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
                   and name.endswith(k) and k not in ("idx",)}, key=len, reverse=True)
    if not rows or not keys:
        return None, f"node '{node}' records no per-item '{name}': no interval"
    key = keys[0]
    scores = {str(r.get("id", r.get("item_id", r["idx"]))): float(r[key]) for r in rows
              if isinstance(r.get(key), (int, float))}
    if value is not None and scores and abs(sum(scores.values()) / len(scores) - value) > MEAN_TOLERANCE:
        return None, f"{metric} is not the mean of the per-item '{key}' rows: no interval"
    return scores, ""


def compare(store: Any, metric: str, default: tuple[str | None, float | None],
            other: tuple[str | None, float | None], seed: int = 0) -> Comparison:
    """Default vs another config (each: run id, measured value), with the paired bootstrap interval."""
    c = Comparison(default[1], other[1])
    a, why_a = item_scores(store, default[0], metric, default[1])
    b, why_b = item_scores(store, other[0], metric, other[1])
    if a is None or b is None:
        c.note = why_a or why_b
        return c
    common = sorted(set(a) & set(b))
    if not common:
        c.note = "the two runs share no items: no interval"
        return c
    _, c.low, c.high = paired_bootstrap([a[i] for i in common], [b[i] for i in common], seed=seed)
    c.items = len(common)
    return c


# --- the result a study keeps ----------------------------------------------------------------------------------

@dataclass
class ValidationRun:
    trial: int  # the trial whose config was re-run
    role: str  # default | best | top
    run_id: str
    status: str
    values: dict[str, float | None] = field(default_factory=dict)  # objective metric -> value
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"trial": self.trial, "role": self.role, "run_id": self.run_id, "status": self.status,
                "values": self.values, "error": self.error}


@dataclass
class ObjectiveResult:
    objective: ObjectiveSpec
    tuning: Comparison
    validation: Comparison | None
    verdict: str

    def to_json(self) -> dict[str, Any]:
        return {"metric": self.objective.metric, "direction": self.objective.direction,
                "tuning": self.tuning.to_json(), "validation": self.validation.to_json() if self.validation else None,
                "verdict": self.verdict}


def summarize(store: Any, spec: TuneSpec, default_trial: Any, best: Any, runs: list[ValidationRun],
              value_of: Any) -> list[ObjectiveResult]:
    """Per objective: default vs best on the tuning part (their trials) and on the validation part (runs)."""
    v_default = next((r for r in runs if r.trial == default_trial.number and r.status == "succeeded"), None) \
        if default_trial else None
    v_best = next((r for r in runs if best is not None and r.trial == best.number and r.status == "succeeded"),
                  None)
    out = []
    for o in spec.all_objectives:
        tuning = compare(store, o.metric,
                         (default_trial.run_id if default_trial else None, value_of(default_trial, o.metric)),
                         (best.run_id if best else None, value_of(best, o.metric)))
        validation = None
        if runs:
            validation = compare(store, o.metric,
                                 (v_default.run_id if v_default else None,
                                  v_default.values.get(o.metric) if v_default else None),
                                 (v_best.run_id if v_best else None, v_best.values.get(o.metric) if v_best else None))
        out.append(ObjectiveResult(o, tuning, validation, verdict(o.metric, o.direction, tuning, validation)))
    return out


# --- the re-runs -----------------------------------------------------------------------------------------------

def chosen_trials(tuner: Any) -> list[tuple[str, Any]]:
    """(role, trial) of the configs validated: the default (trial 0), the best, then the top ones."""
    from .ranking import best_trial, top_trials

    trials = tuner.history.trials
    default = next((t for t in trials if t.number == 0 and t.state == "complete"), None)
    best = best_trial(tuner.spec, trials)
    out: list[tuple[str, Any]] = []
    for role, trial in [("default", default), ("best", best)] + [("top", t) for t in
                                                                 top_trials(tuner.spec, trials, TOP)]:
        if trial is not None and all(trial.number != t.number for _, t in out):
            out.append((role, trial))
    return out


def run_on_validation(tuner: Any, study_id: str, role: str, trial: Any) -> ValidationRun:
    """Re-run a trial's config on the validation part (full size, memoized)."""
    from pipec.compiler.errors import CompileError
    from pipec.compiler.executor import Executor, new_run_id

    from .objective import metric_value
    from .strategies import Proposal

    run_id = new_run_id()
    overrides = tuner.config_overrides(Proposal(trial.config)) + part_overrides(tuner.graph, tuner.spec,
                                                                                "validation")
    try:
        graph = tuner.compile_trial(overrides)
    except CompileError as exc:
        return ValidationRun(trial.number, role, run_id, "failed",
                             error="; ".join(d.message for d in exc.diagnostics))
    executor = Executor(graph, tuner.store, use_cache=tuner.use_cache, run_id=run_id,
                        settings=tuner.trial_settings(study_id))
    result = executor.run()
    totals = {"cost_usd": result.cost_usd, "duration_s": result.duration_s, "llm_calls": result.llm_calls,
              "cache_hits": result.cache_hits}
    values: dict[str, float | None] = {}
    for o in tuner.spec.all_objectives:
        try:
            values[o.metric] = metric_value(result.metrics, totals, o.metric)
        except KeyError:
            values[o.metric] = None
    return ValidationRun(trial.number, role, run_id, result.status, values, result.error)


def validate_study(tuner: Any, study_id: str) -> dict[str, Any]:
    """Run the validation part (when tune.validation is set) and compare default vs best; the result JSON."""
    from .ranking import best_trial, value_of

    trials = tuner.history.trials
    default = next((t for t in trials if t.number == 0 and t.state == "complete"), None)
    best = best_trial(tuner.spec, trials)
    runs = [run_on_validation(tuner, study_id, role, t) for role, t in chosen_trials(tuner)] \
        if tuner.spec.validation is not None else []
    results = summarize(tuner.store, tuner.spec, default, best, runs, value_of)
    return {"split": describe(tuner.spec), "default_trial": default.number if default else None,
            "best_trial": best.number if best else None, "runs": [r.to_json() for r in runs],
            "objectives": [r.to_json() for r in results]}
