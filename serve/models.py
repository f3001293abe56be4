"""Pydantic models of a served graph's requests and responses, generated from its declared port types, so the
OpenAPI schema documents them and a wrong body is a 422 that names the field."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model


class QuestionIn(BaseModel):
    """One question; `answers` (gold answers, optional) give the request's run answer metrics."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1)
    id: str | None = None
    answers: list[str] = Field(default_factory=list)
    gold_titles: list[str] = Field(default_factory=list)
    gold_ids: list[str] = Field(default_factory=list)


class HitOut(BaseModel):
    chunk_id: str
    doc_id: str
    text: str
    title: str = ""
    score: float = 0.0
    meta: dict[str, Any] = Field(default_factory=dict)


class RetrievalOut(BaseModel):
    qid: str
    question: str
    hits: list[HitOut] = Field(default_factory=list)


class AnswerOut(BaseModel):
    qid: str
    text: str
    score: float = 0.0
    answers: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    error: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)


INPUT_TYPES: dict[str, Any] = {
    "Question": str | QuestionIn, "Questions": list[str | QuestionIn], "Text": str, "Number": float,
    "JSON": Any, "Records": list[dict[str, Any]], "Any": Any,
}
OUTPUT_TYPES: dict[str, Any] = {
    "Answers": list[AnswerOut], "Retrievals": list[RetrievalOut], "Metrics": dict[str, float], "Text": str,
    "Number": float,
}


def request_model(graph: Any) -> type[BaseModel]:
    fields = {}
    for name, type_name in graph.request_inputs.items():
        spec = graph.spec.inputs.get(name)
        fields[name] = (INPUT_TYPES.get(type_name, Any), Field(..., description=spec.description if spec else ""))
    return create_model("RunRequest", __config__=ConfigDict(extra="forbid"), **fields)


def response_model(graph: Any) -> type[BaseModel]:
    outputs = {}
    for name, ref in graph.outputs.items():
        port_type = graph.nodes[ref.node].op_cls.outputs[ref.port].type
        outputs[name] = (OUTPUT_TYPES.get(port_type, Any) | None, None)
    outputs_model = create_model("RunOutputs", **outputs)
    return create_model(
        "RunResponse", run_id=(str, ...), status=(str, ...), error=(str | None, None), outputs=(outputs_model, ...),
        metrics=(dict[str, dict[str, float]], {}), llm_calls=(int, 0), cost_usd=(float, 0.0),
        duration_s=(float, 0.0), nodes_run=(list[str], []),
    )


def raw_inputs(body: BaseModel) -> dict[str, Any]:
    """The validated body as the plain values the executor coerces (questions as dicts)."""
    return body.model_dump(mode="json", exclude_none=False)
