"""The LLM access a strategy context offers: one completion through the gateway, made on first use.

Every call is recorded (and cached) in the store under the node `tune:<study>`, so the study's LLM budget and
`pipe tune` totals count it (optimizers/study.py, `study_totals`) and a resumed study replays cached replies.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def gateway_completer(store: Any, llm_settings: Any, node: str) -> Callable[..., str]:
    """complete(model, prompt, *, item, temperature=None, max_tokens=None) -> reply text."""
    state: dict[str, Any] = {}
    lock = threading.Lock()

    def complete(model: str, prompt: str, *, item: str, temperature: float | None = None,
                 max_tokens: int | None = None) -> str:
        with lock:
            if "bound" not in state:
                from pipec.compiler.llm.gateway import Gateway

                state["bound"] = Gateway(store=store, settings=llm_settings, run_id=None).bind(node=node)
        kwargs = {k: v for k, v in (("temperature", temperature), ("max_tokens", max_tokens)) if v is not None}
        return state["bound"].complete_sync(model, prompt, item=item, **kwargs).text or ""

    return complete
