"""Every registered strategy (built-in or plugin) passes the conformance checks (optimizers/strategies/
conformance.py), Optuna's samplers and the bandit's algorithms each on their own."""

from __future__ import annotations

import pytest
from pipec.optimizers.strategies import STRATEGIES
from pipec.optimizers.strategies import conformance as c

VARIANTS = [(name, None) for name in STRATEGIES]
VARIANTS += [("optuna", {"optuna": {"sampler": s}}) for s in ("random", "qmc", "cmaes", "nsgaii")]
VARIANTS += [("optuna", {"optuna": {"sampler": "tpe", "pruner": "halving"},
                         "halving": {"param": "questions", "min": 1, "max": 9, "eta": 3}})]
VARIANTS += [("bandit", {"bandit": {**STRATEGIES["bandit"].conformance["bandit"], "algo": a}})
             for a in ("ucb", "thompson")]
IDS = [name + ("" if extra is None else "-" + "-".join(str(v) for d in extra.values() for v in d.values()))
       for name, extra in VARIANTS]


@pytest.fixture(params=VARIANTS, ids=IDS)
def variant(request):
    name, extra = request.param
    return STRATEGIES[name], extra


@pytest.mark.parametrize("check", c.CHECKS, ids=[f.__name__ for f in c.CHECKS])
def test_conformance(variant, check):
    cls, extra = variant
    check(cls, extra)


def test_every_builtin_is_registered_through_the_entry_point_group():
    from importlib.metadata import entry_points

    names = {ep.name for ep in entry_points(group="pipec.strategies")}
    assert {"grid", "random", "greedy", "llm", "halving", "optuna", "bandit"} <= names


# --- the checks can fail: strategies that break each rule ---------------------------------------------------

class _Base:
    @staticmethod
    def _grid(space):
        import itertools

        params = list(space)
        return [{p.path: v for p, v in zip(params, vs, strict=True)}
                for vs in itertools.product(*(p.grid() for p in params))]


def _broken(name, ask):
    from pipec.optimizers.strategies import Strategy

    return type(name, (Strategy, _Base), {"name": name, "ask": ask})


def test_a_repeating_strategy_fails():
    from pipec.optimizers.strategies import Proposal

    cls = _broken("repeats", lambda self, history, pending=(): Proposal(dict(self.ctx.defaults)))
    with pytest.raises(AssertionError, match="twice"):
        c.check_in_space_no_repeats(cls)


def test_an_unseeded_strategy_fails():
    import random

    from pipec.optimizers.strategies import Proposal

    def ask(self, history, pending=()):
        todo = [g for g in self._grid(self.space) if not history.seen(g)]
        return Proposal(random.Random().choice(todo)) if todo else None

    with pytest.raises(AssertionError, match="different sequences"):
        c.check_deterministic(_broken("unseeded", ask))


def test_a_strategy_with_hidden_state_fails_resume():
    from pipec.optimizers.strategies import Proposal

    def ask(self, history, pending=()):
        self.i = getattr(self, "i", 0) + 1
        grid = self._grid(self.space)
        return Proposal(grid[(self.i * 7) % len(grid)]) if self.i < len(grid) else None

    with pytest.raises(AssertionError, match="resumed"):
        c.check_resume(_broken("hidden", ask))
