"""`llm.extract`: one prompt per item through the LLM gateway -> one validated object per item."""

from __future__ import annotations

from typing import Any

from pipec.compiler.op import Out
from pydantic import Field, field_validator

from .items import run_all
from .prompting import PromptOp, PromptParams, batch_metrics, prompt_preview
from .schema_spec import build_model


class Extract(PromptOp):
    """Render a prompt per item and ask an LLM for an object matching `schema` (validated, repaired, re-asked
    once); items that still fail get an error and the other items go on."""

    name = "llm.extract"

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
        schema = build_model(self.params.fields)
        fields = list(schema.model_fields)
        records, ids, chats = self.render_all(ctx, items, context)
        llm, model, params = ctx.llm, self.params.model, self.llm_params()
        total = len(records)
        ctx.progress(0, total)

        def job(i: int):
            async def call() -> dict[str, Any]:
                chat = chats[i]
                if isinstance(chat, Exception):
                    return {"id": ids[i], "value": None, "error": str(chat), "result": None}
                res = await llm.structured(model, chat, schema=schema, item=ids[i], **params)
                value = res.value.model_dump(mode="json") if res.value is not None else None
                return {"id": ids[i], "value": value, "error": res.error, "result": res}
            return call

        results = await run_all([job(i) for i in range(total)], on_done=lambda n: ctx.progress(n, total))
        responses = [resp for r in results if r["result"] is not None for resp in r["result"].responses]
        errors = sum(1 for r in results if r["error"])
        metrics = batch_metrics(responses, total, errors)
        metrics["parse_errors"] = float(sum(1 for r in results if r["result"] is not None and r["error"]))
        out = [{"id": r["id"], **{f: (r["value"] or {}).get(f) for f in fields}, "error": r["error"]}
               for r in results]
        ctx.record_items([{**row, "prompt": prompt_preview(chats[i]),
                           "raw": results[i]["result"].raw if results[i]["result"] else None}
                          for i, row in enumerate(out)])
        return {"records": out, "metrics": metrics}
