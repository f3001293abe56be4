"""Issue 12: a study says how much of its gain is real (split, baseline, intervals, verdicts, Pareto front)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from pipec.ops.text.sampling import SplitParams, split_part
from pipec.optimizers.pareto import dominates, front, knee, pick
from pipec.optimizers.stats import Comparison, paired_bootstrap, verdict

from .helpers import run_study, write_graph


@dataclass
class Q:
    id: str
    meta: dict = field(default_factory=dict)


def test_split_is_deterministic_disjoint_and_complete():
    items = [Q(f"q{i}") for i in range(50)]
    tune = split_part(items, SplitParams(fraction=0.3, seed=1, part="tune"))
    held = split_part(items, SplitParams(fraction=0.3, seed=1, part="validation"))
    assert len(held) == 15 and len(tune) == 35
    assert not {q.id for q in tune} & {q.id for q in held}
    assert sorted(q.id for q in tune + held) == sorted(q.id for q in items)
    again = split_part(items, SplitParams(fraction=0.3, seed=1, part="validation"))
    assert [q.id for q in again] == [q.id for q in held]  # the same seed, the same part
    other = split_part(items, SplitParams(fraction=0.3, seed=2, part="validation"))
    assert [q.id for q in other] != [q.id for q in held]
    assert [q.id for q in tune] == [q.id for q in items if q not in held]  # original order kept


def test_stratified_split_holds_out_part_of_every_group():
    items = [Q(f"q{i}", {"type": "comparison" if i < 6 else "bridge"}) for i in range(40)]
    held = split_part(items, SplitParams(fraction=0.25, seed=0, by="type", part="validation"))
    kinds = [q.meta["type"] for q in held]
    assert kinds.count("comparison") == 2 and kinds.count("bridge") == 8  # round(0.25 * 6), round(0.25 * 34)
    tiny = [Q("a", {"type": "x"}), Q("b", {"type": "x"}), Q("c", {"type": "y"})]
    held = split_part(tiny, SplitParams(fraction=0.1, seed=0, by="type", part="validation"))
    assert [q.id for q in held if q.meta["type"] == "x"] != []  # a group of two gives one, never both
    assert len([q for q in held if q.meta["type"] == "x"]) == 1


def test_paired_bootstrap_known_cases():
    same = [0.2, 0.5, 1.0, 0.0]
    assert paired_bootstrap(same, same) == (0.0, 0.0, 0.0)
    shifted = [v + 0.1 for v in same]
    mean, low, high = paired_bootstrap(same, shifted)
    assert mean == pytest.approx(0.1) and low == pytest.approx(0.1) and high == pytest.approx(0.1)
    a = [0.0] * 20
    b = [1.0] * 3 + [0.0] * 17  # a gain carried by 3 items of 20
    mean, low, high = paired_bootstrap(a, b, seed=0)
    assert mean == pytest.approx(0.15) and 0 <= low < 0.15 < high <= 0.45
    a, b = [0.0] * 20, [1.0, -1.0] * 10  # no gain on average: the interval straddles 0
    mean, low, high = paired_bootstrap(a, b)
    assert mean == 0 and low < 0 < high
    with pytest.raises(ValueError):
        paired_bootstrap([1.0], [1.0, 2.0])


def test_verdicts_in_words():
    tuning = Comparison(0.5, 0.6, 20, 0.02, 0.18)
    held = Comparison(0.5, 0.45, 10, -0.2, 0.1)
    assert "did not generalize" in verdict("f1", "maximize", tuning, held)
    noisy = Comparison(0.5, 0.52, 10, -0.05, 0.09)
    text = verdict("f1", "maximize", tuning, noisy)
    assert "within noise" in text and "+4.0%" in text
    held_up = Comparison(0.5, 0.6, 10, 0.05, 0.15)
    assert "held" in verdict("f1", "maximize", tuning, held_up)
    # minimizing: a lower value is the gain
    assert "did not generalize" in verdict("loss", "minimize", Comparison(1.0, 0.8), Comparison(1.0, 1.1))
    assert "no validation part" in verdict("f1", "maximize", tuning, None)


def test_pareto_front_hand_computed_with_ties_and_a_dominated_duplicate():
    points = [(1.0, -3.0), (2.0, -5.0), (1.0, -3.0), (0.5, -4.0), (0.5, -4.0), (3.0, -9.0), (2.0, -6.0)]
    # (1,-3) twice: a tie, both stay; (0.5,-4) twice: dominated by (1,-3), both go; (2,-6) dominated by (2,-5)
    assert front(points) == [0, 1, 2, 5]
    assert dominates((1.0, -3.0), (0.5, -4.0)) and not dominates((1.0, -3.0), (1.0, -3.0))


def test_pick_rules():
    points = [(0.80, -10.0), (0.79, -2.0), (0.70, -1.0)]  # (quality, -cost): oriented
    values = [(0.80, 10.0), (0.79, 2.0), (0.70, 1.0)]
    assert pick(points, values, 0, 0.02) == 1  # the cheapest within 2% of the best quality
    assert pick(points, values, 0, 0.0) == 0  # no loss allowed: the best quality
    assert pick(points, values, 0, 0.2) == 2
    assert knee(points) == 1  # closest to the ideal point after scaling


def test_baseline_is_trial_zero_for_every_strategy(tmp_path):
    from pipec.optimizers.strategies import STRATEGIES
    from pipec.optimizers.study import BASELINE

    space = {"x": [0.3, 0.6], "kind": ["b", "c"]}  # the graph's x=0.0, kind=a are outside the space
    for name in STRATEGIES:
        tune = {"space": space, "halving": {"param": "questions", "min": 2, "max": 8, "eta": 2},
                **STRATEGIES[name].conformance}
        if name == "llm":
            tune["llm"] = {"model": "fake/tuner"}
        graph = write_graph(tmp_path, tune, name=f"{name}.yaml")
        from pipec.compiler.llm.fake import fake_script

        with fake_script(['{"x": 0.3, "kind": "b"}'] * 10):
            outcome, best, rows = run_study(graph, tmp_path / name, strategy=name, trials=3)
        first = rows[0]
        assert first["number"] == 0 and first["note"] == BASELINE, name
        assert json.loads(first["config_json"]) == {"x": 0.0, "kind": "a"}, name  # the graph's own values
        assert first["budget"] is None, name


def test_out_of_space_values_are_warned_about(tmp_path):
    from pipec.compiler.store import Store
    from pipec.optimizers.study import Tuner

    graph = write_graph(tmp_path, {"space": {"x": [0.3, 0.6], "kind": ["a", "b"]}})
    store = Store(tmp_path / "s")
    tuner = Tuner(graph, store)
    store.close()
    assert len(tuner.warnings) == 1 and "'x' (0.0) is outside its space" in tuner.warnings[0]


def test_a_winner_picked_by_noise_is_flagged_on_validation(tmp_path):
    """Trials measured on 1 noisy question; validation on a large evaluation: the noise winner loses there."""
    from pipec.compiler.store import Store
    from pipec.optimizers.study import Budgets, Tuner

    tune = {"space": {"x": [0.0, 0.6, 0.9], "kind": ["a", "c"]}, "strategy": "grid",
            "validation": {"set": {"questions": 100000}}}
    graph = write_graph(tmp_path, tune, params={"noise": 1.0})
    graph.write_text(graph.read_text().replace("questions: null", "questions: 1"))
    store = Store(tmp_path / "s")
    tuner = Tuner(graph, store, budgets=Budgets(trials=10))
    outcome = tuner.run()
    result = tuner.validate(outcome)
    store.close()
    assert result["best_trial"] != 0  # a config beat the default on the noisy tuning measurement
    objective = result["objectives"][0]
    assert objective["tuning"]["gain"] > 0 and objective["validation"]["gain"] < 0
    assert "did not generalize" in objective["verdict"]
    roles = [r["role"] for r in result["runs"]]
    assert roles[:2] == ["default", "best"] and 3 <= len(roles) <= 5
    # the synthetic op's per-item rows are not the metric's items: no interval, and the report says why
    assert objective["tuning"]["interval"] is None and "no interval" in objective["tuning"]["note"]


def test_the_split_goes_to_the_dataset_node_named_or_feeding_the_objective(tmp_path):
    from pathlib import Path

    import yaml
    from pipec.compiler.errors import UsageError
    from pipec.compiler.store import Store
    from pipec.optimizers.study import Tuner
    from pipec.optimizers.validation import part_overrides

    examples = Path(__file__).resolve().parents[2] / "examples"
    store = Store(tmp_path / "s")
    kg = Tuner(examples / "metaqa" / "tune.yaml", store)
    assert kg._tune_part == [(["eval_questions", "holdout"], {"fraction": 0.3, "seed": 0, "by": None,
                                                               "part": "tune"})]
    rag = Tuner(examples / "rag" / "tune.yaml", store)
    assert rag._tune_part[0][0] == ["question_set", "split"]  # not `data`: its questions feed nothing
    held = part_overrides(rag.graph, rag.spec, "validation")
    assert held[0][1]["part"] == "validation"
    data = yaml.safe_load((examples / "metaqa" / "tune.yaml").read_text())
    data["tune"]["validation"].pop("node")
    data["params"]["data_dir"] = str(examples / "metaqa" / "data")
    path = tmp_path / "kg.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(UsageError, match="several dataset nodes"):
        Tuner(path, store)
    store.close()
