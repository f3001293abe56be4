"""`llm.rewrite`: turn each question into a better search query before retrieval, through the gateway.

Modes (each with a built-in prompt; `prompt:` replaces it, so `pipe tune` can search over prompt files too):
- `rewrite`: one keyword-rich search query.
- `decompose`: the sub-questions of a multi-hop question; the query is the question plus its sub-questions.
- `hyde`: a hypothetical passage that would answer the question (HyDE, Gao et al. 2022); retrieval embeds the
  passage in place of the question.
- `none`: no LLM call; the questions pass through unchanged (retrieval searches the question), so `pipe tune`
  can decide whether rewriting pays.

The question's text is kept for reading and evaluation: the query goes to `meta["search_query"]`, which
`retrieve` searches with. A reply that is empty after the retries keeps the question as its own query and is
counted in the `fallbacks` metric and a warning.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any, Literal

from pipec.compiler.llm.errors import LLMItemError
from pipec.compiler.llm.templates import PromptTemplate, check_template
from pipec.compiler.op import In, Op, OpParams, Out
from pipec.ops.data import Question
from pydantic import Field, model_validator

from .items import run_all
from .prompting import batch_metrics, llm_params, template_fingerprint

PROMPTS = {
    "rewrite": "Rewrite the question as a short search query with the names and key words a matching passage "
               "would contain. Reply with the query only.\n\nQuestion: {{ item.question }}\nQuery:",
    "decompose": "Split the question into the simpler questions that must be answered first, one per line. "
                 "Reply with the questions only.\n\nQuestion: {{ item.question }}\nSub-questions:",
    "hyde": "Write a short encyclopedia passage that answers the question. Reply with the passage only.\n\n"
            "Question: {{ item.question }}\nPassage:",
}
MAX_SUBQUESTIONS = 5


class RewriteParams(OpParams):
    model: str | None = Field(None, description="litellm model string: fake/x, local/smollm2, openai/gpt-4o-mini, "
                                                "... (not needed with mode none)")
    mode: Literal["rewrite", "decompose", "hyde", "none"] = Field(
        "rewrite", description="rewrite, decompose, hyde, or none (pass the questions through, no LLM call)")
    prompt: str | None = Field(None, description="jinja2 template (inline or a file beside the YAML) with `item` "
                                                 "(the question); default: the mode's built-in prompt")
    keep_question: bool = Field(True, description="search with the question plus the rewrite (not the rewrite "
                                                  "alone); hyde: the question plus the passage")
    temperature: float | None = Field(0.0, ge=0, description="sampling temperature (None: the provider's)")
    max_tokens: int | None = Field(128, ge=1, description="maximum tokens per reply")
    params: dict[str, Any] = Field(default_factory=dict, description="more litellm parameters")

    @model_validator(mode="after")
    def _mode_needs_model(self):
        if self.mode != "none" and not self.model:
            raise ValueError(f"mode {self.mode} needs `model:` (a litellm model string); mode none needs none")
        return self


class Rewrite(Op):
    """Rewrite, decompose or expand (HyDE) each question into the query `retrieve` searches with."""

    name = "llm.rewrite"
    Params = RewriteParams
    inputs = {"questions": In("Questions")}
    outputs = {"questions": Out("Questions", "the same questions, with meta.search_query"),
               "metrics": Out("Metrics", "items, fallbacks, llm_calls, cache_hits, cost_usd, tokens")}

    def validate(self, base_dir: Path) -> list[tuple[str | None, str, str | None]]:
        return check_template(self.params.prompt, base_dir, ["item", "index"], "prompt")

    def fingerprint(self, ctx: Any) -> Any:
        return template_fingerprint(ctx, self.params, ("prompt",))

    async def run(self, ctx, questions):
        p = self.params
        if p.mode == "none":
            return {"questions": list(questions), "metrics": {**batch_metrics([], len(questions), 0),
                                                              "fallbacks": 0.0}}
        template = PromptTemplate(p.prompt or PROMPTS[p.mode], ctx.base_dir, "prompt")
        llm = ctx.llm
        params = llm_params(p)

        def job(i: int, q: Question):
            async def call():
                try:
                    return await llm.complete(p.model, template.render(item=q, index=i), item=q.id, **params)
                except LLMItemError as exc:
                    return exc
            return call

        replies = await run_all([job(i, q) for i, q in enumerate(questions)],
                                on_done=lambda n: ctx.progress(n, len(questions)))
        out, rows, fallbacks = [], [], 0
        for q, reply in zip(questions, replies, strict=True):
            text = "" if isinstance(reply, Exception) else (reply.text or "")
            query = self.query(q.question, text)
            fallbacks += query is None
            query = query or q.question
            out.append(dataclasses.replace(q, meta={**q.meta, "search_query": query}))
            rows.append({"id": q.id, "question": q.question, "query": query,
                         "error": str(reply) if isinstance(reply, Exception) else None})
        ctx.record_items(rows)
        if fallbacks:
            ctx.warn(f"{fallbacks} of {len(questions)} questions got no usable {p.mode} reply and are searched as "
                     f"they are")
        responses = [r for r in replies if not isinstance(r, Exception)]
        metrics = batch_metrics(responses, len(questions), sum(isinstance(r, Exception) for r in replies))
        metrics["fallbacks"] = float(fallbacks)
        return {"questions": out, "metrics": metrics}

    def query(self, question: str, reply: str) -> str | None:
        """The search query from a reply, or None when the reply holds nothing usable."""
        text = reply.strip()
        if self.params.mode == "decompose":
            lines = [re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", line).strip() for line in text.splitlines()]
            subs = [line for line in lines if len(line.split()) >= 2][:MAX_SUBQUESTIONS]
            text = "\n".join(subs)
        if not text or text == question:
            return None
        return f"{question}\n{text}" if self.params.keep_question else text
