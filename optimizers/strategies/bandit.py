"""`strategy: bandit`: online tuning over minibatches of questions (AutoRAG-HP, Fu et al. 2024).

    tune:
      strategy: bandit
      trials: 60                       # pulls (each pull is one trial); also --max-calls / --max-usd
      bandit: {node: data, questions: 28, batch: 8, algo: hier_ucb, cost_weight: 0.0, min_pulls: 2}

A pull evaluates one config on one minibatch: a memoized run of the graph with `NODE.offset` and `NODE.limit`
set to the minibatch's slice of the questions (`node` is a load.dataset / load.questions node; `questions` the
number of questions it yields, so that there are ceil(questions / batch) minibatches). The trial's budget is
the minibatch number (1-based), so a config is never run twice on the same minibatch, and everything shared
with earlier pulls (chunks, embeddings, indexes) comes from the cache. Pulls cycle through the minibatches: the
t-th pull uses minibatch t mod B, or the config's next unseen one.

The reward of a pull is its score (the oriented objective on the minibatch) minus `cost_weight` x its cost
(`cost`: usd or llm_calls). An arm's mean weighs each pull by its minibatch's size, i.e. it is the mean over
the per-item rows evaluated so far, updated as batches arrive; an arm seen on every minibatch is exact.

- `ucb`: whole configs are arms (UCB1: mean + c * sqrt(2 ln N / n)); at most `max_arms` configs, the first
  of the space in a seeded random order;
- `thompson`: the same arms, a Gaussian posterior per arm (seeded draws);
- `hier_ucb`: the paper's two-level bandit: the upper arm (UCB over parameters) picks which parameter to move
  from the best config so far, the lower arm (UCB over that parameter's values, the others fixed) its value.

The study stops at its budget (trials = pulls, LLM calls, USD), or when no arm is left to measure (every
candidate seen on every minibatch, or the best exactly measured arm beats every other arm's upper bound).
The best arm (`best()`) is the best mean among arms with at least `min_pulls` pulls.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .base import History, Proposal, Strategy, TrialView, config_hash, is_pending
from .random_search import random_configs


class BanditOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    node: str = Field(description="the questions node whose offset/limit select a minibatch")
    questions: int = Field(ge=1, description="how many questions that node yields (the tuning part)")
    batch: int = Field(8, ge=1, description="questions per pull")
    algo: Literal["hier_ucb", "ucb", "thompson"] = "hier_ucb"
    cost_weight: float = Field(0.0, ge=0, description="reward = score - cost_weight x cost of the pull")
    cost: Literal["usd", "llm_calls"] = "usd"
    min_pulls: int = Field(2, ge=1, description="pulls an arm needs to be the best")
    c: float = Field(0.2, ge=0, description="exploration weight of the upper confidence bound")
    max_arms: int = Field(64, ge=1, description="ucb/thompson: configs taken as arms")


@dataclass
class Arm:
    config: dict[str, Any]
    weight: float = 0.0  # questions evaluated
    total: float = 0.0  # sum of reward x questions
    pulls: int = 0
    batches: frozenset = frozenset()

    @property
    def mean(self) -> float:
        return self.total / self.weight if self.weight else 0.0


class Bandit(Strategy):
    name = "bandit"
    options_key = "bandit"
    Options = BanditOptions
    conformance = {"bandit": {"node": "objective", "questions": 12, "batch": 4, "min_pulls": 1}}

    def __init__(self, space, ctx):
        if ctx.spec.bandit is None:
            from pipec.compiler.errors import UsageError

            raise UsageError("strategy 'bandit' needs 'bandit: {node: QUESTIONS_NODE, questions: N}' in the tune "
                             "section (the node's offset/limit select each minibatch)")
        super().__init__(space, ctx)
        o = self.options
        self.batches = math.ceil(o.questions / o.batch)

    @classmethod
    def check(cls, spec) -> list[str]:
        if spec.strategy == cls.name and spec.bandit is None:
            return ["strategy 'bandit' needs 'bandit: {node: QUESTIONS_NODE, questions: N}' in the tune section"]
        return super().check(spec) if spec.bandit is not None else []

    # --- statistics --------------------------------------------------------------------------------------------
    def size(self, batch: int) -> int:
        """Questions in minibatch `batch` (1-based)."""
        o = self.options
        return min(o.batch, o.questions - (batch - 1) * o.batch)

    def reward(self, trial: TrialView) -> float | None:
        if trial.score is None:
            return None
        cost = trial.totals.get("cost_usd" if self.options.cost == "usd" else "llm_calls", 0.0) or 0.0
        return trial.score - self.options.cost_weight * cost

    def arms(self, history: History) -> dict[str, Arm]:
        out: dict[str, Arm] = {}
        for t in history.trials:
            if t.budget is None:
                continue
            key = config_hash(t.config)
            arm = out.setdefault(key, Arm(dict(t.config)))
            arm.pulls += 1
            arm.batches = arm.batches | {int(t.budget)}
            r = self.reward(t)
            if r is None:  # a failed pull: the minibatch counts as measured, at the worst score
                r = -1.0
            w = self.size(int(t.budget))
            arm.weight += w
            arm.total += r * w
        return out

    def best(self, history: History) -> TrialView | None:
        arms = self.arms(history)
        if not arms:
            return None
        eligible = [a for a in arms.values() if a.pulls >= self.options.min_pulls] or list(arms.values())
        arm = max(eligible, key=lambda a: (a.mean, a.pulls))
        last = [t for t in history.trials if t.config == arm.config][-1]
        return dataclasses.replace(last, score=arm.mean, budget=None,
                                   note=f"bandit best arm: mean of {arm.pulls} pulls, {int(arm.weight)} questions")

    # --- choosing a pull -----------------------------------------------------------------------------------------
    def next_batch(self, history: History, arm: Arm | None, config, pending) -> int | None:
        seen = arm.batches if arm else frozenset()
        start = len(history) % self.batches
        for i in range(self.batches):
            b = (start + i) % self.batches + 1
            if b not in seen and not is_pending(pending, config, b):
                return b
        return None

    def ucb(self, arm: Arm | None, total_pulls: int) -> float:
        if arm is None or arm.pulls == 0:
            return math.inf
        if len(arm.batches) >= self.batches:
            return arm.mean  # measured exactly: no uncertainty left
        return arm.mean + self.options.c * math.sqrt(2 * math.log(max(total_pulls, 1)) / arm.pulls)

    def ask(self, history: History, pending=()) -> Proposal | None:
        arms = self.arms(history)
        if self.options.algo == "hier_ucb":
            choice = self._hier(history, arms, pending)
        else:
            choice = self._flat(history, arms, pending)
        if choice is None:
            return None
        config, note = choice
        batch = self.next_batch(history, arms.get(config_hash(config)), config, pending)
        o = self.options
        return Proposal(config, batch, note=f"bandit {o.algo}: {note}, minibatch {batch}/{self.batches}",
                        overrides={f"{o.node}.offset": (batch - 1) * o.batch, f"{o.node}.limit": o.batch})

    def _open(self, history, arms, config, pending) -> bool:
        return self.next_batch(history, arms.get(config_hash(config)), config, pending) is not None

    def _stop(self, arms: dict[str, Arm], best_open: float) -> bool:
        """The best exactly measured arm beats every open arm's upper bound."""
        exact = [a.mean for a in arms.values() if len(a.batches) >= self.batches]
        return bool(exact) and max(exact) >= best_open

    def _flat(self, history: History, arms: dict[str, Arm], pending):
        candidates = list(itertools.islice(random_configs(self.space, self.ctx.seed), self.options.max_arms))
        n = sum(a.pulls for a in arms.values())
        rng = random.Random(f"{self.ctx.seed}:{len(history)}")
        scored = []
        for i, config in enumerate(candidates):
            if not self._open(history, arms, config, pending):
                continue
            arm = arms.get(config_hash(config))
            if self.options.algo == "ucb":
                value = self.ucb(arm, n)
            else:
                value = self._thompson(arm, arms, rng)
            scored.append((value, -i, config))
        if not scored:
            return None
        value, neg_index, config = max(scored, key=lambda s: (s[0], s[1]))
        if self.options.algo == "ucb" and self._stop(arms, value):
            return None
        return config, f"arm {1 - neg_index} of {len(candidates)}"

    def _thompson(self, arm: Arm | None, arms: dict[str, Arm], rng: random.Random) -> float:
        means = [a.mean for a in arms.values() if a.pulls]
        prior = sum(means) / len(means) if means else 0.0
        spread = (max(means) - min(means)) if len(means) > 1 else 1.0
        spread = max(spread, 1e-3)
        if arm is None or arm.pulls == 0:
            return rng.gauss(prior, 2 * spread)
        if len(arm.batches) >= self.batches:
            return arm.mean
        return rng.gauss(arm.mean, spread / math.sqrt(arm.pulls))

    def _hier(self, history: History, arms: dict[str, Arm], pending):
        pulled = [a for a in arms.values() if a.pulls]
        current = max(pulled, key=lambda a: (a.mean, a.pulls)).config if pulled else dict(self.ctx.defaults)
        # upper level: a parameter; its reward is the reward of the pulls that moved it
        stats: dict[str, list[float]] = {p: [] for p in self.ctx.order}
        for t in history.trials:
            moved = _moved(t.note)
            r = self.reward(t)
            if moved in stats and r is not None:
                stats[moved].append(r)
        n = sum(len(v) for v in stats.values())
        options = []
        for rank, path in enumerate(self.ctx.order):
            values = self.space.params[path].grid()
            cands = [{**current, path: v} for v in values]
            open_cands = [c for c in cands if self._open(history, arms, c, pending)]
            if not open_cands:
                continue
            rs = stats[path]
            upper = math.inf if not rs else (sum(rs) / len(rs)
                                             + self.options.c * math.sqrt(2 * math.log(max(n, 1)) / len(rs)))
            options.append((upper, -rank, path, cands, open_cands))
        if not options:
            return None
        _, _, path, cands, open_cands = max(options, key=lambda o: (o[0], o[1]))
        # lower level: that parameter's values, the others fixed at the best config so far
        m = sum(arms[config_hash(c)].pulls for c in cands if config_hash(c) in arms)
        scored = [(self.ucb(arms.get(config_hash(c)), m), -i, c) for i, c in enumerate(cands) if c in open_cands]
        _, _, config = max(scored, key=lambda s: (s[0], s[1]))
        total = sum(a.pulls for a in arms.values())
        best_open = max(self.ucb(arms.get(config_hash(c)), total) for o in options for c in o[4])
        if self._stop(arms, best_open):
            return None
        return config, f"move {path}"


def _moved(note: str) -> str | None:
    """The parameter a hier_ucb pull moved (from its note)."""
    marker = "move "
    if marker not in (note or ""):
        return None
    return note.split(marker, 1)[1].split(",", 1)[0]
