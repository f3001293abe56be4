"""What the gateway writes to the run store: the call log (`llm_calls`), the response cache (`llm_cache`)
and the embedding cache (`embedding_cache`). Every text passes through the store's `redact`.

Without a store (tests, notebooks), the caches live in memory and nothing is logged.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..store import Store


def _json(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


class CallStore:
    def __init__(self, store: Store | None, run_id: str | None):
        self.store = store
        self.run_id = run_id
        self._memory: dict[str, dict[str, Any]] = {}
        self._vectors: dict[tuple[str, str], np.ndarray] = {}

    # --- call log -------------------------------------------------------------------------------------------
    def log_call(self, *, node: str | None, item: Any, model: str, request_hash: str, messages: Any,
                 params: dict[str, Any], response: str | None, prompt_tokens: int | None,
                 completion_tokens: int | None, cost_usd: float | None, latency_s: float, cache_hit: bool,
                 error: str | None) -> None:
        if self.store is None:
            return
        redact = self.store.redact
        self.store.execute(
            "INSERT INTO llm_calls (run_id, node, item, model, request_hash, messages_json, params_json, response,"
            " prompt_tokens, completion_tokens, cost_usd, latency_s, cache_hit, error, created_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (self.run_id, node, None if item is None else str(item), model, request_hash, redact(_json(messages)),
             redact(_json(params)) if params else None, None if response is None else redact(response),
             prompt_tokens, completion_tokens, cost_usd, round(latency_s, 6), int(cache_hit),
             None if error is None else redact(error), time.time()))

    # --- response cache -------------------------------------------------------------------------------------
    def get(self, request_hash: str) -> dict[str, Any] | None:
        hit = self._memory.get(request_hash)
        if hit is not None or self.store is None:
            return hit
        rows = self.store.query("SELECT model, response_json, prompt_tokens, completion_tokens, cost_usd"
                                " FROM llm_cache WHERE request_hash=?", (request_hash,))
        if not rows:
            return None
        row = rows[0]
        entry = {"model": row["model"], "text": json.loads(row["response_json"])["text"],
                 "prompt_tokens": row["prompt_tokens"], "completion_tokens": row["completion_tokens"],
                 "cost_usd": row["cost_usd"]}
        self._memory[request_hash] = entry
        return entry

    def put(self, request_hash: str, entry: dict[str, Any]) -> None:
        self._memory[request_hash] = entry
        if self.store is None:
            return
        self.store.execute(
            "INSERT OR REPLACE INTO llm_cache (request_hash, model, response_json, prompt_tokens, completion_tokens,"
            " cost_usd, created_at) VALUES (?,?,?,?,?,?,?)",
            (request_hash, entry["model"], self.store.redact(_json({"text": entry["text"]})), entry["prompt_tokens"],
             entry["completion_tokens"], entry["cost_usd"], time.time()))

    # --- embedding cache ------------------------------------------------------------------------------------
    @staticmethod
    def text_hash(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    def get_vectors(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        found = {h: self._vectors[(model, h)] for h in hashes if (model, h) in self._vectors}
        missing = [h for h in hashes if h not in found]
        if self.store is not None and missing:
            for i in range(0, len(missing), 500):
                chunk = missing[i:i + 500]
                marks = ",".join("?" * len(chunk))
                for row in self.store.query(f"SELECT text_hash, dim, vector FROM embedding_cache WHERE model=? AND"
                                            f" text_hash IN ({marks})", (model, *chunk)):
                    vec = np.frombuffer(row["vector"], dtype=np.float32, count=row["dim"])
                    found[row["text_hash"]] = self._vectors[(model, row["text_hash"])] = vec
        return found

    def put_vectors(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        for h, v in vectors.items():
            self._vectors[(model, h)] = v
        if self.store is None or not vectors:
            return
        rows = [(model, h, int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes()) for h, v in vectors.items()]
        with self.store._lock:
            self.store.db.executemany("INSERT OR REPLACE INTO embedding_cache (model, text_hash, dim, vector)"
                                      " VALUES (?,?,?,?)", rows)
