"""The shape of a pipeline YAML file, as pydantic models (unknown keys are errors).

    pipeline: rag-offline          # a name for runs and the TUI
    description: ...
    params:                        # pipeline parameters, referenced as ${name}, overridable with --set
      chunk_size: 200
    inputs:                        # what one request supplies; nodes take `${question}` (or inputs.question)
      question: {type: Question}
    settings:                      # run settings (LLM gateway limits and budgets, concurrency)
      llm: {max_usd: 1.0}
    nodes:
      chunk:
        op: chunk.tokens
        inputs: {documents: load}  # `node` or `node.port`; a list for fan-in ports
        params: {size: "${chunk_size}"}
    outputs:                       # named results (`pipe run --json`, what a request returns); with inputs and
                                   # no outputs: the sinks of the per-request part
      f1: evaluate.metrics
    tune: {...}                    # search space and objective for `pipe tune`
"""

from __future__ import annotations

from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LLMSettings(_Strict):
    """Limits and budgets of the LLM gateway. Command-line flags override them."""

    max_usd: float | None = Field(None, ge=0, description="stop the run when this much USD was spent")
    max_calls: int | None = Field(None, ge=0, description="stop the run after this many (uncached) calls")
    concurrency: int = Field(16, ge=1, description="concurrent calls across all models")
    per_model_concurrency: dict[str, int] = Field(default_factory=dict, description="limit per model string")
    timeout: float = Field(60.0, gt=0, description="seconds per request")
    retries: int = Field(3, ge=0, description="retries on rate limit, timeout, connection and 5xx errors")
    backoff_s: float = Field(1.0, ge=0, description="first retry delay; doubles per retry (with jitter)")
    cache: bool = Field(True, description="cache responses by request hash")
    max_item_errors: int | float | str = Field(
        0.1, description="item errors a node tolerates before it fails: a count (3), a fraction of its items "
                         "(0.1) or a percentage ('10%'); default 10%")

    @field_validator("max_item_errors")
    @classmethod
    def _check_max_item_errors(cls, value: int | float | str) -> int | float:
        from .llm.limits import parse_item_error_limit

        return parse_item_error_limit(value)


class Settings(_Strict):
    llm: LLMSettings = Field(default_factory=LLMSettings)
    max_concurrent_nodes: int = Field(8, ge=1, description="nodes running at the same time")
    allow_paths: list[str] = Field(default_factory=list, description="folders outside the graph's folder that "
                                   "prompt files may be read from (relative to the graph's folder); see --allow-path")
    backend: Literal["local", "ray"] | None = Field(
        None, description="where `pipe tune` runs parallel trials (docs/parallel.md); None: one after another")
    node_backend: Literal["local", "ray"] = Field(
        "local", description="ray: each ready node with a plain (threaded) op is a Ray task (docs/parallel.md)")
    shards: int | Literal["auto"] = Field(
        1, description="split the items of an item-mapping op (embedders, llm.*, kg.build, the reader) into this "
                       "many shards run as tasks; auto: one per core; 1: off (docs/parallel.md)")

    @field_validator("shards")
    @classmethod
    def _positive_shards(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError("shards must be at least 1 (1: no sharding), or auto")
        return value


class NodeSpec(_Strict):
    op: str
    description: str = ""
    inputs: dict[str, str | list[str]] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)
    cache: bool = True


class InputSpec(_Strict):
    """One value a request supplies (`pipe run --input`, `pipe serve`, `Graph.run(inputs=...)`)."""

    type: str = Field(description="a port type: Question, Questions, Text, Number, JSON, Records")
    description: str = ""


class PipelineSpec(_Strict):
    pipeline: str = ""
    description: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    inputs: dict[str, InputSpec] = Field(default_factory=dict)
    settings: Settings = Field(default_factory=Settings)
    nodes: dict[str, NodeSpec]
    outputs: dict[str, str] = Field(default_factory=dict)
    tune: dict[str, Any] | None = None


def spec_to_data(spec: PipelineSpec) -> dict[str, Any]:
    """Plain data of a spec, leaving out what equals the defaults, in the file's natural key order."""
    data = spec.model_dump(exclude_defaults=True)
    order = ["pipeline", "description", "params", "inputs", "settings", "nodes", "outputs", "tune"]
    return {k: data[k] for k in order if k in data}


def spec_to_yaml(spec: PipelineSpec) -> str:
    return yaml.safe_dump(spec_to_data(spec), sort_keys=False, allow_unicode=True, width=100)
