"""strategy: bandit: arm statistics against a hand-computed case, the best arm with min_pulls, the options,
and real studies on examples/rag/models.yaml (each pull a memoized run on a minibatch slice of the questions)."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
import yaml
from pipec.compiler.errors import UsageError
from pipec.compiler.store import Store
from pipec.optimizers.strategies import STRATEGIES, History, TrialView
from pipec.optimizers.strategies import conformance as c
from pipec.optimizers.study import Budgets, Tuner, best_trial

REPO = Path(__file__).resolve().parents[2]
A, B = {"kind": "a"}, {"kind": "b"}


def bandit(**options):
    cls = STRATEGIES["bandit"]
    opts = {"node": "data", "questions": 10, "batch": 4, "min_pulls": 2, "c": 0.5, **options}
    return c.make(cls, {"kind": ["a", "b", "c"]}, 0, {"bandit": opts})[0]


def pull(n, config, batch, score, usd=0.0, note=""):
    return TrialView(n, config, batch, "complete", score, score, note=note,
                     totals={"cost_usd": usd, "llm_calls": 0, "duration_s": 0, "cache_hits": 0})


def test_arm_means_weigh_each_minibatch_by_its_questions():
    s = bandit(cost_weight=10.0)
    # 10 questions in batches of 4: sizes 4, 4, 2
    history = History([pull(1, A, 1, 0.5), pull(2, A, 3, 1.0, usd=0.01), pull(3, B, 2, 0.9)])
    arms = s.arms(history)
    a = arms[next(k for k, v in arms.items() if v.config == A)]
    assert a.pulls == 2 and a.weight == 6 and a.batches == {1, 3}
    assert a.mean == pytest.approx((0.5 * 4 + (1.0 - 10 * 0.01) * 2) / 6)  # reward = score - w x usd
    assert s.ucb(a, 3) == pytest.approx(a.mean + 0.5 * math.sqrt(2 * math.log(3) / 2))
    assert s.ucb(None, 3) == math.inf
    # A seen on every minibatch: exact, no bonus
    full = History(history.trials + [pull(4, A, 2, 0.7)])
    a = [v for v in s.arms(full).values() if v.config == A][0]
    assert s.ucb(a, 4) == pytest.approx(a.mean) and a.weight == 10


def test_best_arm_needs_min_pulls():
    s = bandit(min_pulls=2)
    history = History([pull(1, A, 1, 0.6), pull(2, A, 2, 0.7), pull(3, B, 3, 0.95)])
    best = s.best(history)
    assert best.config == A and best.score == pytest.approx(0.65) and best.budget is None
    assert bandit(min_pulls=1).best(history).config == B


def test_a_pull_is_a_slice_of_the_questions():
    s = bandit()
    p = s.ask(History([]))
    assert p.budget in (1, 2, 3) and p.overrides == {"data.offset": (p.budget - 1) * 4, "data.limit": 4}


def test_options_are_checked():
    with pytest.raises(UsageError, match="needs 'bandit"):
        c.make(STRATEGIES["bandit"], {"kind": ["a"]}, 0, {"bandit": None})
    with pytest.raises(UsageError, match="tune.bandit: algo"):
        bandit(algo="exp3")


def rag_graph(tmp_path, **options) -> Path:
    """examples/rag/models.yaml (the first 20 questions) with the bandit over minibatches of 5."""
    src = REPO / "examples" / "rag" / "models.yaml"
    data = yaml.safe_load(src.read_text(encoding="utf-8"))
    data["params"]["data_dir"] = str(src.parent / "data")
    data["tune"].update(strategy="bandit", bandit={**data["tune"]["bandit"], **options})
    path = tmp_path / "models.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.slow
def test_bandit_study_on_the_rag_example(tmp_path):
    store, graph = Store(tmp_path / ".pipe"), rag_graph(tmp_path)
    try:
        outcome = Tuner(graph, store, budgets=Budgets(trials=10)).run()
        pulls = [t for t in outcome.history.trials if t.budget is not None]
        assert outcome.stop_reason == "trials" and len(pulls) >= 9
        for t in pulls:  # each pull evaluated exactly its minibatch's 5 questions
            assert t.metrics["answer_metrics"]["questions"] == 5.0
        best = best_trial(outcome, outcome.history.trials)  # the study's best is the bandit's best arm
        assert best.budget is None and best.note.startswith("bandit best arm: mean of")
        keys = [(repr(t.config), t.budget) for t in pulls]
        assert len(keys) == len(set(keys))
        # the second study of the same store replays the same pulls from the cache: nothing recomputed
        again = Tuner(graph, store, budgets=Budgets(trials=10), study="again").run()
        same = [t for t in again.history.trials if t.budget is not None]
        assert [(repr(t.config), t.budget) for t in same] == keys
        assert all(t.metrics == u.metrics for t, u in zip(same, pulls, strict=True))
        assert all(t.totals["cache_hits"] == 8 for t in same)  # all 8 nodes of every pull came from the cache
    finally:
        store.close()
    shutil.rmtree(tmp_path / ".pipe", ignore_errors=True)
