"""The `tune` section of a pipeline YAML: objective, constraints and search space, checked at compile time.

    tune:
      objective: answer_metrics.f1        # NODE.METRIC (or NODE.PORT.METRIC) of a Metrics output
      direction: maximize                 # or minimize
      secondary: {metric: duration_s, direction: minimize}   # tie-break (any metric, or cost_usd, duration_s)
      constraints: [{metric: cost_usd, max: 0.05}]            # trials outside are infeasible (never best)
      strategy: greedy                    # default for `pipe tune` (--strategy overrides)
      trials: 20
      space:
        embedder: [minilm, hashing]                          # a list: categorical choices
        chunk_size: {low: 64, high: 512, step: 64}           # int range (ints) / float range (floats)
        temperature: {low: 0.0, high: 1.0, points: 5}        # float range; `points` for grid search
        lr: {low: 1.0e-4, high: 1.0e-1, log: true}           # log scale
        generate.prompt: {prompts: [prompts/a.j2, "Answer briefly: {{ item.question }}"]}
        retrieve.top_k: {values: [1, 3, 5, 10]}

A path is a pipeline parameter (`chunk_size`) or NODE.PARAM (`retrieve.top_k`), exactly as `--set` takes it.
Every candidate value is validated against the parameter model of each node it reaches.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_GRID = 100_000  # default of tune.max_grid
SPECIAL_METRICS = ("cost_usd", "duration_s", "llm_calls", "cache_hits")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ObjectiveSpec(_Strict):
    metric: str
    direction: Literal["maximize", "minimize"] = "maximize"


class ConstraintSpec(_Strict):
    metric: str
    min: float | None = None
    max: float | None = None


class HalvingSpec(_Strict):
    param: str = Field(description="the path that sets how many questions are evaluated")
    min: int = Field(ge=1, description="smallest evaluation size")
    max: int = Field(ge=1, description="full evaluation size")
    eta: int = Field(3, ge=2, description="keep the best 1/eta at each rung")
    schedule: Literal["halving", "hyperband"] = Field(
        "halving", description="halving: every bracket starts at min; hyperband: brackets start at min, then at "
                               "each larger rung in turn (fewer, better-measured configs)")


class LLMProposerSpec(_Strict):
    model: str = Field(description="litellm model string of the proposer (fake/... in tests)")
    temperature: float = Field(0.7, ge=0)
    history: int = Field(30, ge=1, description="best trials shown to the model")
    failures: int = Field(3, ge=0, description="failed examples of the best trial shown for prompt params")
    max_tokens: int = Field(800, ge=16)


class ValidationSpec(_Strict):
    """Held-out evaluation data no trial sees (optimizers/validation.py)."""

    fraction: float | None = Field(None, gt=0, lt=1, description="share of the objective's dataset questions "
                                                                  "held out (default 0.3 unless `set` is given)")
    seed: int = Field(0, description="seed of the split")
    by: str | None = Field(None, description="stratify the split by this question field (e.g. type)")
    node: str | None = Field(None, description="the dataset node to split, when the objective reaches several")
    set: dict[str, Any] | None = Field(None, description="overrides (as --set takes them) that point the graph at "
                                                         "other data for validation")


class PickSpec(_Strict):
    """Which point of a Pareto front `--out` writes: the best of the other objectives among the points within
    `max_loss` (relative) of the front's best `metric`; without `metric`, the knee."""

    metric: str | None = None
    max_loss: float = Field(0.02, ge=0)


class TuneSpec(_Strict):
    objective: str | ObjectiveSpec | None = None
    objectives: list[ObjectiveSpec] | None = Field(None, min_length=1, description="several objectives: a Pareto "
                                                                                    "front (the first one leads)")
    validation: ValidationSpec | None = None
    pick: PickSpec | None = None
    max_consecutive_failures: int = Field(3, ge=1, description="stop after N trials in a row fail with the same "
                                                                "error")
    direction: Literal["maximize", "minimize"] = "maximize"
    secondary: ObjectiveSpec | None = None
    constraints: list[ConstraintSpec] = Field(default_factory=list)
    space: dict[str, Any]
    strategy: str = "random"
    trials: int = Field(20, ge=1)
    seed: int = 0
    order: Literal["models_first", "pipeline"] | list[str] = "models_first"
    grid_points: int = Field(5, ge=2, description="points of a float range (or a wide int range) in a grid")
    max_grid: int = Field(MAX_GRID, ge=1, description="most points a grid search may have (greedy and bandit: "
                                                      "most grid values of one parameter)")
    halving: HalvingSpec | None = None
    llm: LLMProposerSpec | None = None
    # options of strategy: optuna / bandit, checked by each strategy's own Options model (strategies/)
    optuna: dict[str, Any] | None = None
    bandit: dict[str, Any] | None = None

    @property
    def main(self) -> ObjectiveSpec:
        if self.objective is None:
            return self.objectives[0] if self.objectives else ObjectiveSpec(metric="")
        if isinstance(self.objective, ObjectiveSpec):
            return self.objective
        return ObjectiveSpec(metric=self.objective, direction=self.direction)

    @property
    def all_objectives(self) -> list[ObjectiveSpec]:
        """Every objective: `objectives`, else the single `objective`."""
        return list(self.objectives) if self.objectives else [self.main]
