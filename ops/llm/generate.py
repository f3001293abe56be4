"""`llm.generate`: one prompt per item through the LLM gateway -> one text per item."""

from __future__ import annotations

from typing import Any

from pipec.compiler.llm.errors import LLMItemError
from pipec.compiler.mapping import MapsItems
from pipec.compiler.op import Out
from pipec.ops.data import Answer

from .items import run_all
from .prompting import PromptOp, PromptParams, batch_metrics, prompt_preview


class Generate(MapsItems, PromptOp):
    """Render a prompt template per item and ask an LLM; one text per item (per-item errors kept)."""

    name = "llm.generate"
    shard_input = "items"

    class Params(PromptParams):
        pass

    outputs = {
        "texts": Out("Records", "one {id, text, error} dict per item, in input order"),
        "answers": Out("Answers", "the same as Answer records (qid = item id), for QA evaluators"),
        "metrics": Out("Metrics", "items, errors, llm_calls, cache_hits, cost_usd, prompt/completion tokens"),
    }

    async def run(self, ctx, items=None, context=None):
        return await self.run_mapped(ctx, {"items": items, "context": context})

    def prepare(self, ctx, inputs):
        _, ids, chats = self.render_all(ctx, inputs.get("items"), inputs.get("context"))
        return list(zip(ids, chats, strict=True)), None

    async def map_items(self, ctx, items, shared, inputs):
        llm, model, params = ctx.llm, self.params.model, self.llm_params()
        total = len(items)
        ctx.progress(0, total)

        def job(item_id: str, chat: Any):
            async def call() -> dict[str, Any]:
                if isinstance(chat, Exception):
                    return {"id": item_id, "text": None, "error": str(chat), "response": None}
                try:
                    resp = await llm.complete(model, chat, item=item_id, **params)
                except LLMItemError as exc:
                    return {"id": item_id, "text": None, "error": str(exc), "response": None}
                return {"id": item_id, "text": resp.text, "error": None, "response": resp}
            return call

        return await run_all([job(i, c) for i, c in items], on_done=lambda n: ctx.progress(n, total))

    def join_items(self, ctx, items, results, shared, inputs):
        responses = [r["response"] for r in results if r["response"] is not None]
        errors = sum(1 for r in results if r["error"])
        ctx.record_items([_item_row(r, chat) for (_, chat), r in zip(items, results, strict=True)])
        texts = [{"id": r["id"], "text": r["text"], "error": r["error"]} for r in results]
        answers = [Answer(qid=t["id"], text=t["text"] or "", error=t["error"]) for t in texts]
        return {"texts": texts, "answers": answers, "metrics": batch_metrics(responses, len(items), errors)}


def _item_row(result: dict[str, Any], chat: Any) -> dict[str, Any]:
    resp = result["response"]
    return {"id": result["id"], "prompt": prompt_preview(chat), "text": result["text"], "error": result["error"],
            "cache_hit": bool(resp and resp.cache_hit), "cost_usd": resp.cost_usd if resp else None,
            "latency_s": round(resp.latency_s, 4) if resp else None}
