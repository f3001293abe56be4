"""Search strategies behind one ask/tell interface (base.py), registered through the `pipec.strategies`
entry-point group (registry.py): a new strategy is a class and one entry point (docs/strategies.md)."""

from .base import History, Proposal, Strategy, StrategyContext, TrialView, config_hash
from .registry import STRATEGIES

__all__ = ["STRATEGIES", "History", "Proposal", "Strategy", "StrategyContext", "TrialView", "config_hash"]
