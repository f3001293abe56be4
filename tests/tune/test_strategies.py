"""Each strategy against the synthetic objective with a known optimum (x=0.3, y=4, kind=b: score 1.1)."""

from __future__ import annotations

import json

import pytest
from pipec.optimizers.strategies.halving import rung_budgets
from pipec.optimizers.synthetic import synthetic_score

from .helpers import GRID_SPACE, OPTIMUM, run_study, write_graph

DISCRETE = {**GRID_SPACE, "x": [0.0, 0.15, 0.3, 0.45, 0.6]}


def test_grid_tries_every_point_once_and_finds_the_optimum(tmp_path):
    outcome, best, rows = run_study(write_graph(tmp_path, {"space": GRID_SPACE}), tmp_path / "s", strategy="grid")
    assert outcome.stop_reason == "exhausted" and outcome.status == "finished"
    assert len(rows) == 75 and len({r["config_hash"] for r in rows}) == 75
    assert best.config == {"x": 0.3, "objective.y": 4, "kind": "b"}
    assert best.value == pytest.approx(OPTIMUM)


def test_random_is_without_replacement_and_reproducible_with_a_seed(tmp_path):
    graph = write_graph(tmp_path, {"space": DISCRETE})
    a, best, rows = run_study(graph, tmp_path / "a", strategy="random", seed=7, trials=100)
    b, _, _ = run_study(graph, tmp_path / "b", strategy="random", seed=7, trials=10)
    c, _, _ = run_study(graph, tmp_path / "c", strategy="random", seed=8, trials=10)
    configs = [t.config for t in a.history.trials]
    assert len(configs) == 75 and a.stop_reason == "exhausted"  # the whole space, each config once
    assert len({json.dumps(cfg, sort_keys=True) for cfg in configs}) == 75
    assert [t.config for t in b.history.trials] == configs[:10]
    assert [t.config for t in c.history.trials] != configs[:10]
    assert best.value == pytest.approx(OPTIMUM)


def test_random_samples_float_ranges_inside_the_range(tmp_path):
    outcome, best, _ = run_study(write_graph(tmp_path, {"space": GRID_SPACE}), tmp_path / "s", strategy="random",
                                 seed=1, trials=30)
    assert len(outcome.history) == 30
    assert all(0.0 <= t.config["x"] <= 0.6 and t.config["objective.y"] in (0, 2, 4, 6, 8)
               for t in outcome.history.trials)
    assert best.value > OPTIMUM - 0.1


@pytest.mark.parametrize("order", ["models_first", "pipeline"])
def test_greedy_converges_to_the_optimum_from_the_graph_values(tmp_path, order):
    outcome, best, rows = run_study(write_graph(tmp_path, {"space": GRID_SPACE}), tmp_path / "s",
                                    strategy="greedy", order=order)
    assert outcome.stop_reason == "exhausted"  # converged: a full pass without improvement
    assert json.loads(rows[0]["config_json"]) == {"x": 0.0, "objective.y": 0, "kind": "a"}  # the graph's values
    assert best.config == {"x": 0.3, "objective.y": 4, "kind": "b"}
    assert len(rows) < 75  # far fewer trials than the grid
    assert rows[1]["note"].startswith("greedy pass 1")


def test_greedy_follows_an_explicit_order(tmp_path):
    outcome, _, rows = run_study(write_graph(tmp_path, {"space": GRID_SPACE}), tmp_path / "s", strategy="greedy",
                                 order=["kind", "x"], trials=3)
    tried = [json.loads(r["config_json"]) for r in rows]
    assert [t["kind"] for t in tried] == ["a", "b", "c"] and all(t["x"] == 0.0 for t in tried)


def test_rung_budgets():
    assert rung_budgets(4, 100, 3) == [4, 11, 33, 100]
    assert rung_budgets(10, 90, 3) == [10, 30, 90]
    assert rung_budgets(5, 5, 3) == [5]


def test_halving_promotes_the_best_to_the_full_evaluation(tmp_path):
    graph = write_graph(tmp_path, {"space": DISCRETE, "halving": {"param": "questions", "min": 4, "max": 100,
                                                                  "eta": 3}}, params={"noise": 0.1})
    outcome, best, rows = run_study(graph, tmp_path / "s", strategy="halving", seed=0, trials=41)
    assert rows[0]["number"] == 0 and rows[0]["budget"] is None  # the baseline: the graph's values, full size
    rows = rows[1:]
    budgets = [r["budget"] for r in rows]
    assert budgets[:27] == [4] * 27 and budgets[27:36] == [11] * 9 and budgets[36:39] == [33] * 3
    assert budgets[39] == 100 and best.budget == 100 and best.number == 40
    promoted = {json.dumps(json.loads(r["config_json"]), sort_keys=True) for r in rows if r["budget"] == 11}
    first = {json.dumps(json.loads(r["config_json"]), sort_keys=True) for r in rows if r["budget"] == 4}
    assert promoted <= first  # only configs of the first rung are promoted
    true = synthetic_score(best.config["x"], best.config["objective.y"], best.config["kind"], "")
    assert true >= OPTIMUM - 0.05
    questions = sum(budgets)
    assert questions < 0.25 * 75 * 100  # a full grid at 100 questions evaluates 7,500


def test_llm_strategy_repairs_and_rejects_proposals_and_records_them(tmp_path):
    from pipec.compiler.llm.fake import fake_script
    from pipec.compiler.store import Store

    replies = [
        "I think you should try a bigger x.",                                     # not JSON: rejected
        '{"x": 0.3, "objective.y": 40, "kind": "b", "bogus": 1}',                 # y clipped, bogus dropped
        '{"x": 0.3, "objective.y": 4, "kind": "z"}',                              # not a choice: rejected
        '```json\n{"x": 0.3, "objective.y": 4, "kind": "B"}\n```',                # B -> b: repaired
        '{"x": 0.3, "objective.y": 4, "kind": "b"}',                              # duplicate: rejected (x3)
    ]
    graph = write_graph(tmp_path, {"space": GRID_SPACE, "llm": {"model": "fake/tuner"}})
    with fake_script(replies) as script:
        outcome, best, rows = run_study(graph, tmp_path / "s", strategy="llm", trials=4)
    configs = [json.loads(r["config_json"]) for r in rows]
    assert configs[0] == {"x": 0.0, "objective.y": 0, "kind": "a"}  # starts from the graph's values
    assert configs[1] == {"x": 0.3, "objective.y": 8, "kind": "b"}
    assert configs[2] == {"x": 0.3, "objective.y": 4, "kind": "b"}
    assert "random fallback" in rows[3]["note"] and configs[3] not in configs[:3]
    assert best.value == pytest.approx(OPTIMUM)
    store = Store(tmp_path / "s")
    proposals = store.query("SELECT outcome, reason, trial_number FROM tune_proposals ORDER BY id")
    store.close()
    outcomes = [p["outcome"] for p in proposals]
    assert outcomes[:4] == ["rejected", "repaired", "rejected", "repaired"] and outcomes[4:] == ["rejected"] * 3
    assert "not a JSON object" in proposals[0]["reason"] and "'z' is not one of" in proposals[2]["reason"]
    assert "dropped unknown parameter 'bogus'" in proposals[1]["reason"] and proposals[1]["trial_number"] == 1
    assert "duplicate of trial 2" in proposals[4]["reason"]
    assert len(script.calls) == len(proposals)  # a retry is a new prompt, never an LLM-cache hit
    prompt = script.calls[1]["messages"][-1]["content"]
    assert "maximize the metric 'objective.score'" in prompt and '"kind": "a"' in prompt
    assert "rejected" in script.calls[1]["messages"][-1]["content"] or "rejected" in prompt


def test_llm_strategy_writes_new_prompts_from_failures(tmp_path):
    from pipec.compiler.llm.fake import fake_script

    space = {"objective.prompt": {"prompts": ["Answer the question."]}, "kind": ["a", "b"]}
    graph = write_graph(tmp_path, {"space": space, "llm": {"model": "fake/tuner"}})
    reply = json.dumps({"objective.prompt": "Think step by step, then answer.", "kind": "b"})
    with fake_script([reply]) as script:
        outcome, best, _ = run_study(graph, tmp_path / "s", strategy="llm", trials=2)
    assert best.config == {"objective.prompt": "Think step by step, then answer.", "kind": "b"}
    assert best.value == pytest.approx(synthetic_score(0.0, 0, "b", "step by step"))
    prompt = script.calls[0]["messages"][-1]["content"]
    assert "Best value of 'objective.prompt'" in prompt and "Examples the best config got wrong" in prompt


def test_hyperband_brackets_start_at_each_rung_in_turn(tmp_path):
    halving = {"param": "questions", "min": 4, "max": 100, "eta": 3, "schedule": "hyperband"}
    graph = write_graph(tmp_path, {"space": DISCRETE, "halving": halving}, params={"noise": 0.1})
    outcome, best, rows = run_study(graph, tmp_path / "s", strategy="halving", seed=0, trials=63)
    rows = rows[1:]  # after the baseline
    budgets = [r["budget"] for r in rows]
    assert budgets[:27] == [4] * 27 and budgets[39] == 100  # bracket 1: successive halving from the smallest
    assert budgets[40:52] == [11] * 12 and budgets[52:56] == [33] * 4 and budgets[56:58] == [100] * 2  # bracket 2
    assert budgets[58:62] == [33] * 4  # bracket 3 starts at the third rung with 6 fresh configs
    first = {json.dumps(json.loads(r["config_json"]), sort_keys=True) for r in rows[:27]}
    second = {json.dumps(json.loads(r["config_json"]), sort_keys=True) for r in rows[40:52]}
    assert not first & second  # each bracket draws fresh configs
    assert best.budget == 100
