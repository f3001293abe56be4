"""What the gateway records, through the store's typed methods: the call log, the response cache and the
embedding cache (compiler/store owns the tables and the SQL).

Without a store (tests, notebooks), the caches live in memory and nothing is logged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..store.embeddings import EmbeddingCache, embedding_key
from ..store.records import CachedResponse, LLMCall

if TYPE_CHECKING:
    from ..store import Store


class CallStore:
    def __init__(self, store: Store | None, run_id: str | None):
        self.store = store
        self.run_id = run_id
        self._memory: dict[str, dict[str, Any]] = {}
        self.embeddings = EmbeddingCache(store, memory={})

    # --- call log -------------------------------------------------------------------------------------------
    def log_call(self, *, node: str | None, item: Any, model: str, request_hash: str, messages: Any,
                 params: dict[str, Any], response: str | None, prompt_tokens: int | None,
                 completion_tokens: int | None, cost_usd: float | None, latency_s: float, cache_hit: bool,
                 error: str | None) -> None:
        if self.store is None:
            return
        self.store.log_llm_call(LLMCall(
            model=model, request_hash=request_hash, messages=messages, run_id=self.run_id, node=node,
            item=None if item is None else str(item), params=params or None, response=response,
            prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, cost_usd=cost_usd,
            latency_s=latency_s, cache_hit=cache_hit, error=error))

    # --- response cache -------------------------------------------------------------------------------------
    def get(self, request_hash: str) -> dict[str, Any] | None:
        hit = self._memory.get(request_hash)
        if hit is not None or self.store is None:
            return hit
        cached = self.store.get_llm_response(request_hash)
        if cached is None:
            return None
        entry = {"model": cached.model, "text": cached.text, "prompt_tokens": cached.prompt_tokens,
                 "completion_tokens": cached.completion_tokens, "cost_usd": cached.cost_usd}
        self._memory[request_hash] = entry
        return entry

    def put(self, request_hash: str, entry: dict[str, Any]) -> None:
        self._memory[request_hash] = entry
        if self.store is None:
            return
        self.store.put_llm_response(request_hash, CachedResponse(
            entry["model"], entry["text"], entry["prompt_tokens"], entry["completion_tokens"], entry["cost_usd"]))

    # --- embedding cache (the store's one embedding cache: same key and vectors as the embed ops) -----------
    @staticmethod
    def text_hash(text: str) -> str:
        return embedding_key(text)

    def get_vectors(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        return self.embeddings.get(model, hashes)

    def put_vectors(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        """Stored at once: the gateway puts each batch as it completes."""
        self.embeddings.put(model, vectors)
