"""`kg.plan`: the LLM relation-path planner. One LLM call per question predicts the sequence of directed
relations (`directed_by`, `directed_by^-1`, ...) from the question and the KG's relation vocabulary; the plan
is executed by breadth-first search from the topic entities, so every answer is an entity of the graph.

An invalid plan (an unknown relation, or a path that reaches nothing) is re-asked once with the reason; a
second invalid plan falls back to the longest prefix of it that still reaches entities (or to the edge scorer
when a `scorer` model is connected). Every plan, re-ask and fallback is recorded on the answer's meta and in
the node's per-item rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pipec.compiler.op import In, Op, OpParams, Out
from pydantic import BaseModel, ConfigDict, Field

from ..data import Answer, Question
from .graph import INVERSE, KnowledgeGraph
from .train import topic_ids

INSTRUCTIONS = """You answer questions over a knowledge graph by planning a path of relations.
Start at the topic entity (in brackets) and follow relations in order; the entities reached at the end are the
answer. A relation name follows edges from head to tail; `name^-1` follows them backwards (tail to head).
Reply with JSON: {"relations": [...]} using only these relations:
{relations}"""

DEFAULT_EXAMPLES = [
    {"question": "who directed [Inception]", "relations": ["directed_by"]},
    {"question": "what movies did [Tom Hanks] act in", "relations": ["starred_actors^-1"]},
    {"question": "which movies share the director of [Heat]", "relations": ["directed_by", "directed_by^-1"]},
]


class RelationPlan(BaseModel):
    relations: list[str] = Field(description="directed relations to follow from the topic entity, in order")


class FewShot(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    question: str
    relations: list[str]


@dataclass
class PlanOutcome:
    plan: list[str] = field(default_factory=list)
    entities: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int32))
    attempts: list[dict[str, Any]] = field(default_factory=list)
    fallback: str | None = None
    llm_calls: int = 0
    latency_s: float = 0.0  # summed latency of this question's LLM calls


def plan_problem(kg: KnowledgeGraph, topics: list[str], plan: list[str]) -> str | None:
    """Why a plan is invalid (None when it reaches entities)."""
    if not plan:
        return "the plan is empty"
    unknown = [r for r in plan if kg.action_id(r) is None]
    if unknown:
        return f"unknown relations {unknown}; use only: {', '.join(relation_vocabulary(kg))}"
    if execute_plan(kg, topics, plan).size == 0:
        return f"following {plan} from {topics} reaches no entity"
    return None


def execute_plan(kg: KnowledgeGraph, topics: list[str], plan: list[str]) -> np.ndarray:
    """Breadth-first execution of a plan from the topic entities (entity ids; empty when the plan is invalid)."""
    start = [i for i in (kg.entity_id(t) for t in topics) if i is not None]
    actions = [kg.action_id(r) for r in plan]
    if not start or not actions or any(a is None for a in actions):
        return np.empty(0, dtype=np.int32)
    return kg.walk(start, actions)


def longest_valid_prefix(kg: KnowledgeGraph, topics: list[str], plan: list[str]) -> list[str]:
    known = []
    for r in plan:
        if kg.action_id(r) is None:
            break
        known.append(r)
    while known and execute_plan(kg, topics, known).size == 0:
        known.pop()
    return known


def relation_vocabulary(kg: KnowledgeGraph) -> list[str]:
    return list(kg.relations) + [r + INVERSE for r in kg.relations]


def bracketed(q: Question) -> str:
    text = q.question
    for topic in q.topic_entities:
        if topic and f"[{topic}]" not in text:
            i = text.lower().find(topic.lower())
            text = text[:i] + f"[{text[i:i + len(topic)]}]" + text[i + len(topic):] if i >= 0 else text
    return text


def planner_messages(kg: KnowledgeGraph, q: Question, examples: list[FewShot], instructions: str) -> list[dict]:
    system = instructions.replace("{relations}", "\n".join(f"- {r}" for r in relation_vocabulary(kg)))
    messages = [{"role": "system", "content": system}]
    for ex in examples:
        messages.append({"role": "user", "content": f"Question: {ex.question}"})
        messages.append({"role": "assistant", "content": RelationPlan(relations=ex.relations).model_dump_json()})
    messages.append({"role": "user", "content": f"Question: {bracketed(q)}"})
    return messages


class PlanKG(Op):
    """Answer KG questions with an LLM relation-path planner: one structured-output call per question predicts
    the directed relation path, executed by BFS from the topic entity. Invalid plans are re-asked once, then
    fall back (longest valid prefix, or the edge scorer when `scorer` is connected); all are recorded."""

    name = "kg.plan"

    class Params(OpParams):
        model: str = Field(..., description="litellm model string (fake/..., local/smollm2, openai/gpt-4o-mini)")
        examples: list[FewShot] = Field(default_factory=lambda: [FewShot(**e) for e in DEFAULT_EXAMPLES],
                                        description="few-shot examples: {question, relations} (relations with ^-1)")
        instructions: str = Field(INSTRUCTIONS, description="system prompt; {relations} lists the vocabulary")
        reask: bool = Field(True, description="re-ask once, with the reason, when a plan is invalid")
        fallback: Literal["prefix", "none"] = Field("prefix", description="after a second invalid plan: the "
                                                    "longest valid prefix, or no answer (a connected scorer wins)")
        max_answers: int | None = Field(None, ge=1, description="keep the first N answers per question")
        temperature: float | None = Field(0.0, ge=0, description="sampling temperature")
        params: dict[str, Any] = Field(default_factory=dict, description="more litellm parameters")

    inputs = {"kg": In("KG"), "questions": In("Questions", "with topic entities (kg.link or brackets)"),
              "scorer": In("Model", "optional edge scorer used as the fallback", required=False)}
    outputs = {"answers": Out("Answers", "BFS answers of the plan; meta: plan, attempts, fallback, llm_calls")}

    async def run(self, ctx, kg, questions, scorer=None):
        from ..llm.items import run_all

        total = len(questions)
        ctx.progress(0, total)
        started = time.perf_counter()
        outcomes = await run_all([self._job(ctx, kg, q) for q in questions],
                                 on_done=lambda n: ctx.progress(n, total))
        if scorer is not None:
            self._scorer_fallback(kg, scorer, questions, outcomes)
        per_question = (time.perf_counter() - started) / max(total, 1)  # wall time, calls run concurrently
        answers = [self._answer(kg, q, o, per_question) for q, o in zip(questions, outcomes, strict=True)]
        ctx.record_items([{"id": a.qid, "question": q.question, "plan": a.meta["plan"], "answers": a.answers[:10],
                           "attempts": a.meta["attempts"], "fallback": a.meta["fallback"]}
                          for q, a in zip(questions, answers, strict=True)])
        invalid = sum(1 for o in outcomes if o.fallback)
        if invalid:
            ctx.log(f"{invalid} of {total} questions fell back after invalid plans")
        if invalid * 2 > total:
            ctx.warn(f"the planner failed on {invalid} of {total} questions: their answers come from the fallback "
                     f"({self.params.fallback if scorer is None else 'the edge scorer'}), not from its plans")
        return {"answers": answers}

    def _job(self, ctx, kg: KnowledgeGraph, q: Question):
        async def job() -> PlanOutcome:
            return await self._plan(ctx, kg, q)
        return job

    async def _plan(self, ctx, kg: KnowledgeGraph, q: Question) -> PlanOutcome:
        p = self.params
        outcome = PlanOutcome()
        messages = planner_messages(kg, q, p.examples, p.instructions)
        for _ in range(2 if p.reask else 1):
            res = await ctx.llm.structured(p.model, messages, schema=RelationPlan, item=q.id, **self._llm_params())
            outcome.llm_calls += len(res.responses)
            outcome.latency_s += sum(r.latency_s or 0.0 for r in res.responses)
            plan = list(res.value.relations) if res.value is not None else []
            problem = res.error or plan_problem(kg, q.topic_entities, plan)
            outcome.attempts.append({"plan": plan, "problem": problem})
            if problem is None:
                outcome.plan = plan
                outcome.entities = execute_plan(kg, q.topic_entities, plan)
                return outcome
            messages = [*messages, {"role": "assistant", "content": res.raw or "{}"},
                        {"role": "user", "content": f"That plan is invalid: {problem}. Reply with a corrected "
                                                    f"plan as JSON. Question: {bracketed(q)}"}]
        outcome.fallback = p.fallback
        if p.fallback == "prefix":
            prefixes = [longest_valid_prefix(kg, q.topic_entities, a["plan"]) for a in outcome.attempts]
            outcome.plan = max(prefixes, key=len)
            outcome.entities = execute_plan(kg, q.topic_entities, outcome.plan)
        return outcome

    def _llm_params(self) -> dict[str, Any]:
        params = dict(self.params.params)
        if self.params.temperature is not None:
            params.setdefault("temperature", self.params.temperature)
        return params

    def _scorer_fallback(self, kg, scorer, questions, outcomes) -> None:
        from .search import answer_questions

        todo = [i for i, o in enumerate(outcomes) if o.fallback]
        if not todo:
            return
        searched = answer_questions(kg, scorer, [questions[i] for i in todo], 5, scorer.max_hops, None)
        for i, answer in zip(todo, searched, strict=True):
            outcomes[i].fallback = "scorer"
            outcomes[i].plan = answer.meta.get("path", [])
            outcomes[i].entities = np.asarray([kg.entity_id(n) for n in answer.answers], dtype=np.int32)

    def _answer(self, kg: KnowledgeGraph, q: Question, o: PlanOutcome, seconds: float) -> Answer:
        names = sorted(kg.entities[e] for e in o.entities.tolist())[: self.params.max_answers]
        if not topic_ids(kg, q):
            error = "no topic entity in the KG"
        else:
            error = None if names else "invalid plan: " + (o.attempts[-1]["problem"] or "no answer")
        path = " -> ".join([" | ".join(q.topic_entities), *o.plan])
        return Answer(q.id, names[0] if names else "", score=1.0 if names else 0.0, answers=names,
                      evidence=[path] if o.plan else [], error=error,
                      meta={"plan": o.plan, "attempts": o.attempts, "fallback": o.fallback,
                            "llm_calls": o.llm_calls, "latency_s": o.latency_s, "seconds": seconds})

