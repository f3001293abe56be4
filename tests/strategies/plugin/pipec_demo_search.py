"""An example strategy plugin (docs/strategies.md): local search around the best config so far.

Each ask changes one parameter of the best config to a random grid value; the first proposal is the graph's
own config. The seed and the history decide everything, so a resumed study continues exactly.
"""

import random

from pipec.optimizers.strategies import History, Proposal, Strategy
from pipec.optimizers.strategies.base import is_pending

TRIES = 200


class LocalSearch(Strategy):
    name = "local"

    def ask(self, history: History, pending=()) -> Proposal | None:
        best = history.best()
        start = dict(best.config) if best else dict(self.ctx.defaults)
        rng = random.Random(f"{self.ctx.seed}:{len(history)}")  # a function of the seed and the history
        taken = lambda c: history.seen(c) or is_pending(pending, c)  # noqa: E731
        if not taken(start):
            return Proposal(start, note="local: the starting config")
        for _ in range(TRIES):
            path = rng.choice(list(self.space.params))
            config = {**start, path: rng.choice(self.space.params[path].grid())}
            if not taken(config):
                return Proposal(config, note=f"local: moved {path}")
        return None  # every neighbour tried: a local optimum
