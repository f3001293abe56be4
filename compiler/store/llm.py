"""The LLM call log (`llm_calls`) and the response cache (`llm_cache`). Every text is redacted on the way in."""

from __future__ import annotations

import json
import time
from typing import Any

from .records import CachedResponse, LLMCall, LLMCallRecord, Page
from .runs import to_json


class LLMReads:
    def get_llm_response(self, request_hash: str) -> CachedResponse | None:
        rows = self.conn.rows("SELECT model, response_json, prompt_tokens, completion_tokens, cost_usd"
                              " FROM llm_cache WHERE request_hash=?", (request_hash,))
        if not rows:
            return None
        r = rows[0]
        return CachedResponse(r["model"], json.loads(r["response_json"])["text"], r["prompt_tokens"],
                              r["completion_tokens"], r["cost_usd"])

    def llm_calls(self, run_id: str | None = None, node: str | None = None) -> list[LLMCallRecord]:
        where, args = _where(run_id=run_id, node=node)
        return [LLMCallRecord.from_row(r) for r in
                self.conn.rows(f"SELECT * FROM llm_calls{where} ORDER BY id", args)]

    def llm_call(self, call_id: int) -> LLMCallRecord | None:
        rows = self.conn.rows("SELECT * FROM llm_calls WHERE id = ?", (call_id,))
        return LLMCallRecord.from_row(rows[0]) if rows else None

    def count_llm_calls(self, run_id: str | None = None, cache_hit: bool | None = None) -> int:
        where, args = _where(run_id=run_id, cache_hit=None if cache_hit is None else int(cache_hit))
        return self.conn.scalar(f"SELECT count(*) FROM llm_calls{where}", args) or 0

    def llm_counts(self, run_id: str) -> dict[str, int]:
        """Calls per node of a run."""
        rows = self.conn.rows("SELECT node, count(*) AS n FROM llm_calls WHERE run_id = ? GROUP BY node", (run_id,))
        return {r["node"]: r["n"] for r in rows}

    def llm_spend(self, node: str) -> tuple[float, int]:
        """(cost, calls sent) of the calls logged under `node` that reached a provider without error."""
        rows = self.conn.rows("SELECT COALESCE(SUM(cost_usd), 0) AS usd, COUNT(*) AS calls FROM llm_calls"
                              " WHERE node=? AND cache_hit=0 AND error IS NULL", (node,))
        return float(rows[0]["usd"]), int(rows[0]["calls"])

    def llm_page(self, run_id: str, node: str | None, offset: int, limit: int, search: str = "") -> Page:
        """One page of a run's calls (responses cut to 200 characters), optionally filtered by text."""
        where, args = "run_id = ?", [run_id]
        if node is not None:
            where += " AND node = ?"
            args.append(node)
        if search:
            where += (" AND (messages_json LIKE ? OR response LIKE ? OR model LIKE ? OR error LIKE ?"
                      " OR item LIKE ?)")
            args += [f"%{search}%"] * 5
        total = self.conn.scalar(f"SELECT count(*) FROM llm_calls WHERE {where}", args)
        rows = self.conn.rows(
            "SELECT id, node, item, model, prompt_tokens, completion_tokens, cost_usd, latency_s, cache_hit, error,"
            f" substr(response, 1, 200) AS response FROM llm_calls WHERE {where} ORDER BY id LIMIT ? OFFSET ?",
            (*args, limit, offset))
        return Page(offset, total or 0, rows)


class LLMWrites:
    def log_llm_call(self, call: LLMCall) -> None:
        redact = self.redact
        row = (call.run_id, call.node, None if call.item is None else str(call.item), call.model,
               call.request_hash, redact(to_json(call.messages)), redact(to_json(call.params)) if call.params else None,
               None if call.response is None else redact(call.response), call.prompt_tokens, call.completion_tokens,
               call.cost_usd, round(call.latency_s, 6), int(call.cache_hit),
               None if call.error is None else redact(call.error), time.time())
        self.conn.write(lambda db: db.execute(
            "INSERT INTO llm_calls (run_id, node, item, model, request_hash, messages_json, params_json, response,"
            " prompt_tokens, completion_tokens, cost_usd, latency_s, cache_hit, error, created_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", row))

    def put_llm_response(self, request_hash: str, response: CachedResponse) -> None:
        row = (request_hash, response.model, self.redact(to_json({"text": response.text})), response.prompt_tokens,
               response.completion_tokens, response.cost_usd, time.time())
        self.conn.write(lambda db: db.execute(
            "INSERT OR REPLACE INTO llm_cache (request_hash, model, response_json, prompt_tokens,"
            " completion_tokens, cost_usd, created_at) VALUES (?,?,?,?,?,?,?)", row))


def _where(**conditions: Any) -> tuple[str, tuple]:
    used = {k: v for k, v in conditions.items() if v is not None}
    if not used:
        return "", ()
    return " WHERE " + " AND ".join(f"{k}=?" for k in used), tuple(used.values())
