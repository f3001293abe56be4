"""Grid search: every combination of the parameters' grid values, in declaration order."""

from __future__ import annotations

import itertools

from .base import History, Proposal, Strategy, is_pending


class Grid(Strategy):
    name = "grid"

    def ask(self, history: History, pending=()) -> Proposal | None:
        params = list(self.space)
        for i, values in enumerate(itertools.product(*(p.grid() for p in params))):
            config = {p.path: v for p, v in zip(params, values, strict=True)}
            if not history.seen(config) and not is_pending(pending, config):
                return Proposal(config, note=f"grid point {i + 1}/{self.space.grid_size()}")
        return None
