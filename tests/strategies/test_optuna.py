"""strategy: optuna: the mapping of every space kind, real studies through the store (optimum, resume,
pruning, two objectives), its options checked, and the install message when optuna is absent."""

from __future__ import annotations

import sys

import pytest
from pipec.compiler.errors import UsageError
from pipec.optimizers.space import parse_spec
from pipec.optimizers.strategies import STRATEGIES
from pipec.optimizers.strategies.optuna_search import Mapping, import_optuna
from tune.helpers import GRID_SPACE, OPTIMUM, run_study, write_graph

EVERY_KIND = {
    "plain": ["a", "b", 3, 1.5, None, True],
    "nested": [[1, 2], {"k": 1}],
    "prompt": {"prompts": ["Answer: {{ item.question }}", "Think step by step: {{ item.question }}"]},
    "n": {"low": 1, "high": 10},
    "stepped": {"low": 0, "high": 9, "step": 4},  # 0, 4, 8 (9 is not on the step)
    "logint": {"low": 1, "high": 1000, "log": True},
    "f": {"low": 0.0, "high": 1.0},
    "fstep": {"low": 0.0, "high": 1.0, "step": 0.25},
    "flog": {"low": 1e-4, "high": 1e-1, "log": True},
}


def test_every_space_kind_maps_to_a_distribution_and_back():
    optuna = import_optuna()
    _, space, problems = parse_spec({"objective": "o.score", "space": EVERY_KIND})
    assert not problems
    m = Mapping(optuna, space)
    d = optuna.distributions
    assert isinstance(m.dists["plain"], d.CategoricalDistribution) and m.dists["plain"].choices[0] == "a"
    assert m.dists["nested"].choices == (0, 1) and m.dists["prompt"].choices == (0, 1)  # by index
    assert (m.dists["n"].low, m.dists["n"].high, m.dists["n"].step) == (1, 10, 1)
    assert (m.dists["stepped"].high, m.dists["stepped"].step) == (8, 4)
    assert m.dists["logint"].log and m.dists["flog"].log and m.dists["fstep"].step == 0.25
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(60):
        trial = study.ask(m.dists)
        config = m.to_config(trial.params)
        assert not space.validate_config(config), config
        assert m.to_config(m.to_params(config)) == config
        study.tell(trial, 0.0)
    assert m.to_params({**config, "plain": "zzz"}) is None  # a value with no place in the distributions


def test_tpe_study_reaches_the_optimum(tmp_path):
    graph = write_graph(tmp_path, {"strategy": "optuna", "space": GRID_SPACE, "seed": 0,
                                   "optuna": {"sampler": "tpe", "n_startup_trials": 5}})
    outcome, best, rows = run_study(graph, tmp_path / ".pipe", trials=30)
    assert outcome.strategy == "optuna" and best.score > OPTIMUM - 0.02
    assert sum("optuna tpe trial" in (r["note"] or "") for r in rows) >= 25


def test_a_resumed_study_continues_the_same_sequence(tmp_path):
    tune = {"strategy": "optuna", "space": GRID_SPACE, "seed": 4, "optuna": {"n_startup_trials": 3}}
    straight = write_graph(tmp_path, tune, name="a.yaml")
    _, _, rows = run_study(straight, tmp_path / "a", trials=14, study="s")
    resumed = write_graph(tmp_path, tune, name="b.yaml")
    run_study(resumed, tmp_path / "b", trials=6, study="s")
    outcome, _, rows_b = run_study(resumed, tmp_path / "b", trials=14, study="s")  # a new Tuner: replays
    assert outcome.resumed
    assert [r["config_json"] for r in rows_b] == [r["config_json"] for r in rows]


def test_pruning_with_halving_rungs(tmp_path):
    graph = write_graph(tmp_path, {"strategy": "optuna", "space": GRID_SPACE, "seed": 0,
                                   "optuna": {"sampler": "tpe", "pruner": "halving"},
                                   "halving": {"param": "questions", "min": 1, "max": 9, "eta": 3}})
    _, best, rows = run_study(graph, tmp_path / ".pipe", trials=40)
    by_config: dict[str, set] = {}
    for r in rows:
        by_config.setdefault(r["config_json"], set()).add(r["budget"])
    full = [b for b in by_config.values() if 9.0 in b]
    pruned = [b for b in by_config.values() if b == {1.0} or b == {1.0, 3.0}]
    assert full and len(pruned) >= 3  # some configs stopped early, some promoted to the full 9 questions
    assert best.budget == 9.0


def test_two_objectives_with_nsgaii(tmp_path):
    graph = write_graph(tmp_path, {"strategy": "optuna", "space": GRID_SPACE, "seed": 0,
                                   "secondary": {"metric": "objective.loss", "direction": "maximize"},
                                   "optuna": {"sampler": "nsgaii", "population_size": 4}})
    _, best, rows = run_study(graph, tmp_path / ".pipe", trials=12)
    assert len(rows) >= 12 and best is not None


def test_bad_options_are_reported():
    spec, _, _ = parse_spec({"objective": "o.score", "space": {"k": ["a"]}, "strategy": "optuna",
                             "optuna": {"sampler": "annealing"}})
    problems = STRATEGIES["optuna"].check(spec)
    assert problems and "tune.optuna: sampler" in problems[0]
    spec, _, _ = parse_spec({"objective": "o.score", "space": {"k": ["a"]}, "strategy": "optuna",
                             "optuna": {"pruner": "halving"}})
    assert "needs a 'halving' entry" in STRATEGIES["optuna"].check(spec)[0]


def test_without_optuna_the_strategy_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)  # import optuna raises ImportError
    graph = write_graph(tmp_path, {"strategy": "optuna", "space": GRID_SPACE})
    with pytest.raises(UsageError, match=r"pip install 'pipec\[optuna\]'"):
        run_study(graph, tmp_path / ".pipe", trials=3)


def test_a_sampler_whose_package_is_missing_says_which(tmp_path):
    import importlib.util

    if importlib.util.find_spec("torch") is not None:
        pytest.skip("torch is installed: sampler gp runs")
    graph = write_graph(tmp_path, {"strategy": "optuna", "space": GRID_SPACE, "optuna": {"sampler": "gp"}})
    with pytest.raises(UsageError, match="optuna sampler 'gp' needs the package torch: pip install torch"):
        run_study(graph, tmp_path / ".pipe", trials=3)


def test_several_objectives_make_a_multi_objective_study(tmp_path):
    from pipec.optimizers.strategies import conformance as c

    tune = {"objectives": [{"metric": "objective.score"}, {"metric": "duration_s", "direction": "minimize"}]}
    strategy, _ = c.make(STRATEGIES["optuna"], GRID_SPACE, 0, {**tune, "optuna": {"sampler": "nsgaii"}})
    c.drive(strategy, 6)
    assert strategy.study.directions == [strategy.optuna.study.StudyDirection.MAXIMIZE] * 2
    assert all(len(t.values) == 2 for t in strategy.study.trials if t.values)
