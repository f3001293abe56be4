"""Greedy leaves a coordinate-wise local optimum with pair moves (where plain coordinate descent stopped on
the RAG example), and keeps its first trials unchanged."""

from __future__ import annotations

from pipec.optimizers.strategies import STRATEGIES, History, TrialView
from pipec.optimizers.strategies import conformance as c

SPACE = {"a": [0, 1, 2], "b": [0, 1, 2], "k": ["x", "y"]}


def score(config) -> float:
    """(0, 0) beats every single change; only a and b changed together reach the optimum (2, 2)."""
    pair = (config["a"], config["b"])
    return (1.0 if pair == (2, 2) else 0.5 if pair == (0, 0) else 0.4) + (0.01 if config["k"] == "y" else 0)


def run(n: int):
    strategy, _ = c.make(STRATEGIES["greedy"], SPACE, 0)
    history = History([])
    while len(history) < n and (p := strategy.ask(history)) is not None:
        history.add(TrialView(len(history) + 1, p.config, None, "complete", score(p.config), note=p.note))
    return history.trials


def test_pair_moves_leave_a_coordinate_wise_local_optimum():
    trials = run(100)
    singles = [t for t in trials if "pair move" not in t.note]
    assert max(t.score for t in singles[:6]) < 0.6  # coordinate descent alone converges at (0, 0)
    assert any("pair move: a + b" in t.note for t in trials)
    best = max(trials, key=lambda t: t.score)
    assert best.config == {"a": 2, "b": 2, "k": "y"}
    assert len(trials) < 3 * 3 * 2 + 10  # it stops: no single or pair move improves the optimum
