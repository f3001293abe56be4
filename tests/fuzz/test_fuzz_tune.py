"""Random `tune` sections (space, strategy, limits) through `pipe validate`, and the accepted ones through a
short `pipe tune`: always exit 0 or 2, never a traceback or an internal error, each within 2 seconds."""

from __future__ import annotations

import math

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .harness import DERANDOMIZE, EXAMPLES_PER_TEST, check, warm_up

GRAPH = {
    "pipeline": "fuzz-tune",
    "params": {"x": 0.0, "kind": "a", "questions": None},
    "nodes": {"objective": {"op": "tune.synthetic",
                            "params": {"x": "${x}", "kind": "${kind}", "questions": "${questions}", "noise": 0.0}}},
}
PATHS = ["x", "kind", "questions", "objective.y", "objective.x", "objective.prompt", "objective.questions",
         "objective.x.deeper", "x.deeper", "nope", "objective.nope", "", ".", "x.", "objective", "objective.y.a.b"]
STRATEGIES = ["grid", "random", "greedy", "halving", "llm", "bandit", "optuna", "hyperband", "nope", 3, None]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**15), 10**15), st.sampled_from([10**12, -(10**12), 2**63, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["a", "b", "c", "step by step", "prompts/a.j2", "file:/etc/hostname", "{{ x }}"]),
)
values = st.one_of(scalars, st.lists(scalars, max_size=4), st.dictionaries(st.text(max_size=5), scalars, max_size=2))
range_spec = st.fixed_dictionaries({}, optional={
    "low": values, "high": values, "step": values, "points": st.one_of(values, st.sampled_from([10**8, 10**12])),
    "log": values, "type": st.one_of(values, st.sampled_from(["int", "float"])), "values": values,
    "prompts": values, "model": values, "bogus": values,
})
param_spec = st.one_of(range_spec, st.lists(scalars, max_size=5), scalars)
tune_section = st.fixed_dictionaries(
    {"space": st.one_of(st.dictionaries(st.sampled_from(PATHS), param_spec, max_size=3), values)},
    optional={
        "objective": st.one_of(st.sampled_from(["objective.score", "objective.loss", "nope.x", "objective",
                                                "cost_usd"]), values),
        "strategy": st.sampled_from(STRATEGIES), "trials": values, "seed": values, "grid_points": values,
        "max_grid": values, "direction": st.sampled_from(["maximize", "minimize", "sideways"]),
        "order": st.one_of(st.sampled_from(["models_first", "pipeline"]), st.lists(st.sampled_from(PATHS))),
        "halving": st.one_of(values, st.fixed_dictionaries({"param": st.sampled_from(PATHS), "min": values,
                                                            "max": values})),
    },
)
FUZZ = settings(max_examples=EXAMPLES_PER_TEST * 4, deadline=None, derandomize=DERANDOMIZE, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def graph_with(tune) -> bytes:
    return yaml.safe_dump({**GRAPH, "tune": tune}, sort_keys=False, allow_unicode=True).encode()


def _finite_default(section) -> bool:
    return not any(isinstance(v, float) and not math.isfinite(v) for v in [section.get("trials")])


def test_random_tune_sections_validate_to_exit_0_or_2(tmp_path):
    warm_up(["validate"], graph_with({"objective": "objective.score", "space": {"x": [0.1]}}), tmp_path, "g.yaml")

    @FUZZ
    @given(tune_section)
    def run(section):
        check(["validate"], graph_with(section), tmp_path, "g.yaml")

    run()


@pytest.mark.slow
def test_accepted_tune_sections_run_to_exit_0_or_2(tmp_path):
    """What `pipe validate` accepts, `pipe tune` runs (two trials, a fresh store each time) without a crash."""
    store = tmp_path / "stores"
    counter = iter(range(10**6))

    @settings(FUZZ, max_examples=EXAMPLES_PER_TEST)
    @given(tune_section)
    def run(section):
        data = graph_with(section)
        if check(["validate"], data, tmp_path, "g.yaml").code != 0:
            return
        check(["tune", "--trials", "2", "-q", "--store", str(store / str(next(counter)))], data, tmp_path,
              "g.yaml", limit_s=10.0)

    run()
