"""Random search without replacement, reproducible with a seed.

A finite space (choices and int ranges, up to 200,000 combinations) is shuffled once with the seed and walked in
that order; a space with float ranges is sampled, skipping configs already drawn. The sequence depends only on
the seed, so a resumed study continues it exactly.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator, Sequence
from typing import Any

from .base import History, Proposal, Strategy, is_pending

MAX_ENUMERATED = 200_000
MAX_DRAWS = 10_000


def finite_values(param) -> Sequence[Any] | None:
    if param.categorical:
        return list(param.values)
    if param.kind == "int" and not param.log:
        step = int(param.step or 1)
        return range(int(param.low), int(param.high) + 1, step)  # lazy: a range of 10^12 values is fine
    return None


def random_configs(space, seed: int) -> Iterator[dict[str, Any]]:
    """Distinct configs in a seeded random order."""
    params = list(space)
    rng = random.Random(seed)
    values = [finite_values(p) for p in params]
    if all(v is not None for v in values) and math.prod(len(v) for v in values) <= MAX_ENUMERATED:
        combos = list(itertools.product(*values))
        rng.shuffle(combos)
        for combo in combos:
            yield {p.path: v for p, v in zip(params, combo, strict=True)}
        return
    drawn: set[str] = set()
    misses = 0
    while misses < MAX_DRAWS:
        config = {p.path: p.sample(rng) for p in params}
        key = repr(sorted(config.items()))
        if key in drawn:
            misses += 1
            continue
        drawn.add(key)
        misses = 0
        yield config


class RandomSearch(Strategy):
    name = "random"

    def ask(self, history: History, pending=()) -> Proposal | None:
        for i, config in enumerate(random_configs(self.space, self.ctx.seed)):
            if not history.seen(config) and not is_pending(pending, config):
                return Proposal(config, note=f"random draw {i + 1} (seed {self.ctx.seed})")
        return None
