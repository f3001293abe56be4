"""Search strategies behind one ask/tell interface (base.py). A new strategy is one class added here."""

from .base import History, Proposal, Strategy, StrategyContext, TrialView, config_hash
from .greedy import Greedy
from .grid import Grid
from .halving import Halving
from .llm import LLMSearch
from .random_search import RandomSearch

STRATEGIES: dict[str, type[Strategy]] = {cls.name: cls for cls in (Grid, RandomSearch, Greedy, LLMSearch, Halving)}

__all__ = ["STRATEGIES", "History", "Proposal", "Strategy", "StrategyContext", "TrialView", "config_hash"]
