"""A strategy's options are checked before anything runs: `pipe validate` and `pipe tune` exit 2 naming the
bad entry; an unknown strategy names the registered ones."""

from __future__ import annotations

import pytest
from pipec.compiler.cli import main
from tune.helpers import GRID_SPACE, write_graph


@pytest.mark.parametrize("tune, message", [
    ({"strategy": "optuna", "optuna": {"sampler": "annealing"}}, "tune.optuna: sampler"),
    ({"strategy": "optuna", "optuna": {"pruner": "halving"}}, "needs a 'halving' entry"),
    ({"strategy": "bandit"}, "strategy 'bandit' needs 'bandit:"),
    ({"strategy": "bandit", "bandit": {"node": "objective", "questions": 0}}, "tune.bandit: questions"),
    ({"strategy": "bandits"}, "did you mean 'bandit'?"),
])
def test_bad_strategy_options_exit_2(tmp_path, capsys, tune, message):
    graph = write_graph(tmp_path, {"space": GRID_SPACE, **tune})
    assert main(["validate", str(graph)]) == 2
    assert message in capsys.readouterr().err
    assert main(["tune", str(graph), "--store", str(tmp_path / "s"), "--trials", "2"]) == 2
    assert message in capsys.readouterr().err
