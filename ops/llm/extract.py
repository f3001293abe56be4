"""`llm.extract`: one prompt per item through the LLM gateway -> one validated object per item."""

from __future__ import annotations

from typing import Any

from pipec.compiler.mapping import MapsItems
from pipec.compiler.op import Out
from pydantic import Field, field_validator

from .items import run_all
from .prompting import PromptOp, PromptParams, batch_metrics, prompt_preview
from .schema_spec import build_model


class Extract(MapsItems, PromptOp):
    """Render a prompt per item and ask an LLM for an object matching `schema` (validated, repaired, re-asked
    once); items that still fail get an error and the other items go on."""

    name = "llm.extract"
    shard_input = "items"

    class Params(PromptParams):
        fields: dict[str, Any] = Field(..., description="fields to extract: name -> type (str, int, float, bool, "
                                                   "list[str], ...) or {type, description, required, enum}")

        @field_validator("fields")
        @classmethod
        def _check_schema(cls, value: dict[str, Any]) -> dict[str, Any]:
            build_model(value)  # raises a ValueError with a clear message
            return value

    outputs = {
        "records": Out("Records", "one {id, <schema fields>, error} dict per item, in input order"),
        "metrics": Out("Metrics", "items, errors, parse_errors, llm_calls, cache_hits, cost_usd, tokens"),
    }

    async def run(self, ctx, items=None, context=None):
        return await self.run_mapped(ctx, {"items": items, "context": context})

    def prepare(self, ctx, inputs):
        _, ids, chats = self.render_all(ctx, inputs.get("items"), inputs.get("context"))
        return list(zip(ids, chats, strict=True)), build_model(self.params.fields)

    async def map_items(self, ctx, items, schema, inputs):
        llm, model, params = ctx.llm, self.params.model, self.llm_params()
        total = len(items)
        ctx.progress(0, total)

        def job(item_id: str, chat: Any):
            async def call() -> dict[str, Any]:
                if isinstance(chat, Exception):
                    return {"id": item_id, "value": None, "error": str(chat), "result": None}
                res = await llm.structured(model, chat, schema=schema, item=item_id, **params)
                value = res.value.model_dump(mode="json") if res.value is not None else None
                return {"id": item_id, "value": value, "error": res.error, "result": res}
            return call

        return await run_all([job(i, c) for i, c in items], on_done=lambda n: ctx.progress(n, total))

    def join_items(self, ctx, items, results, schema, inputs):
        fields = list(schema.model_fields)
        responses = [resp for r in results if r["result"] is not None for resp in r["result"].responses]
        errors = sum(1 for r in results if r["error"])
        metrics = batch_metrics(responses, len(items), errors)
        metrics["parse_errors"] = float(sum(1 for r in results if r["result"] is not None and r["error"]))
        out = [{"id": r["id"], **{f: (r["value"] or {}).get(f) for f in fields}, "error": r["error"]}
               for r in results]
        ctx.record_items([{**row, "prompt": prompt_preview(items[i][1]),
                           "raw": results[i]["result"].raw if results[i]["result"] else None}
                          for i, row in enumerate(out)])
        return {"records": out, "metrics": metrics}
