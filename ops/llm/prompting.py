"""What `llm.generate` and `llm.extract` share: prompt parameters, compile-time template checks, rendering one
chat per item, and the metrics of a batch of calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pipec.compiler.llm.errors import TemplateError
from pipec.compiler.llm.templates import PromptTemplate, check_template
from pipec.compiler.op import In, Op, OpParams
from pydantic import Field

from .items import as_items, available_variables, item_id, template_values

PROMPT_PREVIEW_CHARS = 4000


class PromptParams(OpParams):
    model: str = Field(..., description="litellm model string: openai/gpt-4o-mini, ollama/llama3.1, "
                                        "local/smollm2, fake/test, ...")
    prompt: str = Field(..., description="jinja2 template (inline, or a file relative to the YAML) rendered per "
                                         "item with item, index, context and vars")
    system: str | None = Field(None, description="optional system message template (same variables)")
    vars: dict[str, Any] = Field(default_factory=dict, description="constant template variables")
    temperature: float | None = Field(0.0, ge=0, description="sampling temperature (None: the provider's)")
    max_tokens: int | None = Field(None, ge=1, description="maximum tokens per reply")
    params: dict[str, Any] = Field(default_factory=dict,
                                   description="more litellm parameters (api_base, api_key: ${env:KEY}, seed, ...)")


class PromptOp(Op):
    """Base of ops that render one chat per item and send it through the gateway."""

    Params: ClassVar[type[OpParams]] = PromptParams
    inputs = {
        "items": In("Records", "records, one prompt each (Questions, Documents, dicts, strings)", required=False),
        "context": In("Any", "an extra value every prompt can use as {{ context }}", required=False),
    }

    # --- compile time ---------------------------------------------------------------------------------------
    def validate(self, base_dir: Path) -> list[tuple[str | None, str, str | None]]:
        available = available_variables(self.params.vars)
        problems = check_template(self.params.prompt, base_dir, available, "prompt")
        problems += check_template(self.params.system, base_dir, available, "system")
        return problems

    def fingerprint(self, ctx: Any) -> Any:
        return template_fingerprint(ctx, self.params, ("prompt", "system"))

    # --- run time -------------------------------------------------------------------------------------------
    def llm_params(self) -> dict[str, Any]:
        return llm_params(self.params)

    def render_all(self, ctx: Any, items: Any, context: Any) -> tuple[list[Any], list[str], list[Any]]:
        """(records, ids, chats): a chat is a list of messages, or a TemplateError for that item.

        When no item renders at all (typically a field name typo), the first error stops the node."""
        prompt = PromptTemplate(self.params.prompt, ctx.base_dir, "prompt")
        system = PromptTemplate(self.params.system, ctx.base_dir, "system") if self.params.system else None
        records = as_items(items)
        ids, chats = [], []
        for i, record in enumerate(records):
            ids.append(item_id(record, i) if record is not None else str(i))
            values = template_values(record, i, context, self.params.vars)
            try:
                messages = [{"role": "user", "content": prompt.render(**values)}]
                if system is not None:
                    messages.insert(0, {"role": "system", "content": system.render(**values)})
                chats.append(messages)
            except TemplateError as exc:
                chats.append(exc)
        if chats and all(isinstance(c, TemplateError) for c in chats):
            raise chats[0]
        return records, ids, chats


def template_fingerprint(ctx: Any, params: Any, names: tuple[str, ...]) -> Any:
    """Template files are part of the result's identity (edit the file: the node re-runs)."""
    from pipec.compiler.fingerprint import fingerprint_path

    out = {}
    for name in names:
        source = getattr(params, name)
        if source:
            template = PromptTemplate(source, ctx.base_dir, name)
            if template.path is not None and template.path.exists():
                out[name] = fingerprint_path(template.path)
    return out or None


def llm_params(params: Any) -> dict[str, Any]:
    """litellm parameters of an op: its `params`, with `temperature` and `max_tokens` unless given there."""
    p = dict(params.params)
    if params.temperature is not None:
        p.setdefault("temperature", params.temperature)
    if params.max_tokens is not None:
        p.setdefault("max_tokens", params.max_tokens)
    return p


def prompt_preview(chat: Any) -> str:
    if isinstance(chat, Exception):
        return ""
    text = "\n\n".join(f"[{m['role']}] {m['content']}" for m in chat)
    return text[:PROMPT_PREVIEW_CHARS]


def batch_metrics(responses: list[Any], n_items: int, errors: int) -> dict[str, float]:
    """Aggregate figures of the calls behind a node's result (unknown prices count as 0)."""
    sent = [r for r in responses if not r.cache_hit]
    return {
        "items": float(n_items),
        "errors": float(errors),
        "llm_calls": float(len(sent)),
        "cache_hits": float(len(responses) - len(sent)),
        "cost_usd": float(sum(r.cost_usd or 0.0 for r in responses)),
        "prompt_tokens": float(sum(r.prompt_tokens or 0 for r in responses)),
        "completion_tokens": float(sum(r.completion_tokens or 0 for r in responses)),
    }
