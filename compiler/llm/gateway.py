"""The LLM gateway: the one way ops call language models and remote embedding models.

    bound = ctx.llm                                    # the run's gateway, bound to this node
    resp = await bound.complete("openai/gpt-4o-mini", "Say hi", item=q.id, temperature=0)
    resp.text, resp.cost_usd, resp.cache_hit
    res = await bound.structured(model, messages, schema=Person, item=q.id)   # res.value or res.error
    vecs = await bound.embed("openai/text-embedding-3-small", texts)         # float32 (n, d)
    bound.complete_sync(...)                           # the same from a plain `def run` (worker thread)

Every call: request hash -> response cache (store) -> in-flight deduplication -> budget -> concurrency slot
(per model, then global) -> litellm with `timeout` and `max_retries=0` -> our retries with backoff -> cost from
litellm's price map (unknown = None) -> call log. All of it runs on one background event loop (loop.py).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import BudgetExceeded
from ..spec import LLMSettings
from . import loop
from .callstore import CallStore
from .costs import estimate_cost, reply_cost
from .errors import LLMBadReply, LLMError, LLMItemError
from .failures import MalformedReply, backoff_delay, is_retryable, missing_key_error, to_gateway_error
from .limits import Budget, Limits
from .requests import Messages, loggable_params, normalize_messages, request_hash
from .secrets import redact, redact_error
from .secrets import register as register_secrets
from .structured import (
    corrective_messages,
    parse_structured,
    response_format,
    supports_schema,
    with_instruction,
)
from .types import LLMResponse, StructuredResult

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..store import Store

EMBED_BATCH = 256

# Shared by every gateway of the process (runs in parallel, e.g. tuning trials): identical requests in flight
# are sent once, and runs with the same limits share them. Both live on the gateway loop (no locks needed).
_IN_FLIGHT: dict[str, asyncio.Future] = {}
_LIMITS: dict[tuple, Limits] = {}
_limits_lock = threading.Lock()


def shared_limits(concurrency: int, per_model: dict[str, int]) -> Limits:
    key = (concurrency, tuple(sorted(per_model.items())))
    with _limits_lock:
        if key not in _LIMITS:
            _LIMITS[key] = Limits(concurrency, per_model)
        return _LIMITS[key]


class Gateway:
    """One per run (created by `Runtime.gateway()`); safe to use from any thread or event loop."""

    def __init__(self, store: Store | None = None, settings: LLMSettings | None = None, run_id: str | None = None,
                 use_cache: bool = True):
        self.settings = settings or LLMSettings()
        self.run_id = run_id
        self.use_cache = use_cache and self.settings.cache
        self.records = CallStore(store, run_id)
        self.budget = Budget(self.settings.max_usd, self.settings.max_calls)
        self.limits = shared_limits(self.settings.concurrency, self.settings.per_model_concurrency)
        self.cache_hits = 0
        self.errors = 0
        self._inflight = _IN_FLIGHT
        self._checked_models: set[str] = set()
        self._secret_params_seen: set[str] = set()
        self._tasks: set[asyncio.Task] = set()  # requests of this gateway not yet answered
        loop.gateway_loop()

    async def drain(self, grace_s: float) -> int:
        """Wait up to `grace_s` for requests already sent (their callers may be gone: a node failed) so that
        their replies, already paid for, reach the cache; cancel what is left. Returns how many were waited for."""
        pending = set(self._tasks)
        if not pending:
            return 0
        done, left = await asyncio.wait(pending, timeout=grace_s)
        for task in left:
            task.cancel()
        if left:
            await asyncio.wait(left, timeout=1.0)
        return len(pending)

    @property
    def in_flight(self) -> int:
        """Requests sent and not yet answered (what `drain` would wait for)."""
        return len(self._tasks)

    def drain_sync(self, grace_s: float) -> int:
        """`drain` from a thread that is not the gateway loop (the executor, at the end of a run)."""
        if not self.in_flight:
            return 0
        return loop.submit(self.drain(grace_s)).result(timeout=grace_s + 5.0)

    # --- totals read by the executor -------------------------------------------------------------------------
    @property
    def calls_made(self) -> int:
        """Requests sent to a provider (cache hits and deduplicated requests not counted)."""
        return self.budget.calls

    @property
    def cost_usd(self) -> float:
        return self.budget.cost_usd

    def bind(self, node: str | None = None, cache: bool = True, ctx: Any = None) -> BoundGateway:
        return BoundGateway(self, node, cache, ctx)

    # --- the call path (runs on the gateway loop) ------------------------------------------------------------
    async def _complete(self, node: str | None, item: Any, model: str, messages: Messages, params: dict[str, Any],
                        use_cache: bool) -> LLMResponse:
        """A text reply; an empty reply is re-asked within the retry budget, then an `LLMBadReply`."""
        return await self._ask(node, item, model, messages, params, use_cache, check=_non_empty, repair=None)

    async def _ask(self, node, item, model: str, messages: Messages, params: dict[str, Any], use_cache: bool,
                   check: Checker, repair: Repairer | None) -> LLMResponse:
        """One logical request: the response cache, in-flight deduplication, then `_produce` in a task of its
        own. Only a reply that passes `check` is ever cached. When the caller is cancelled (its node failed or
        the run is stopping), a request already sent still finishes and its reply is cached (it is paid for);
        one still waiting for a slot or a budget is cancelled."""
        use_cache = use_cache and self.use_cache
        key = request_hash(model, messages, params)
        self._note_secrets(params)
        if use_cache:
            cached = await self._cached_or_in_flight(node, item, model, key, messages, params, check)
            if cached is not None:
                return self._hit(node, item, model, key, messages, params, cached)
        call = _Call()
        task = asyncio.ensure_future(self._produce(call, node, item, model, key, messages, params, check, repair))
        task.add_done_callback(_consume_exception)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if use_cache:
            self._inflight[key] = task
            task.add_done_callback(lambda t: self._settle_in_flight(key, t))
        try:
            entry = await asyncio.shield(task)
        except asyncio.CancelledError:
            call.abandoned = True
            if not call.sending:
                task.cancel()
            raise
        return LLMResponse(entry["text"], entry["model"], entry["prompt_tokens"], entry["completion_tokens"],
                           entry["cost_usd"], False, entry["latency_s"], key)

    def _settle_in_flight(self, key: str, task: asyncio.Task) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled() and task.exception() is None:
            self.records.put(key, task.result())

    async def _produce(self, call: _Call, node, item, model: str, key: str, messages: Messages,
                       params: dict[str, Any], check: Checker, repair: Repairer | None) -> dict[str, Any]:
        """Send, check the reply, re-ask (with `repair`'s messages, else the same ones) while it does not pass,
        within the retry budget. Every attempt is logged; the accepted entry is returned (with the summed cost)."""
        asked, asked_key = messages, key
        costs: list[float | None] = []
        t_start = time.perf_counter()
        problem = ""
        for attempt in range(1 + self.settings.retries):
            if attempt and call.abandoned:
                raise asyncio.CancelledError()
            t0 = time.perf_counter()
            try:
                raw, cost = await self._send(model, asked, params, call=call)
                entry = self._entry(model, raw, cost)
            except LLMError as exc:
                self.errors += 1
                redact_error(exc)
                self._log(node, item, model, asked_key, asked, params, None, t0, False, str(exc))
                raise
            costs.append(entry["cost_usd"])
            problem = check(entry["text"])
            self._log(node, item, model, asked_key, asked, params, entry, t0, False,
                      None if problem is None else f"invalid reply: {problem}")
            if problem is None:
                total = None if any(c is None for c in costs) else sum(costs)
                return {**entry, "cost_usd": total, "latency_s": time.perf_counter() - t_start}
            if repair is not None:
                asked = repair(asked, entry["text"], problem)
                asked_key = request_hash(model, asked, params)
        self.errors += 1
        tries = 1 + self.settings.retries
        error = LLMBadReply(redact(f"model {model} gave no valid reply in {tries} attempt{'s' * (tries != 1)}: "
                                   f"{problem}"))
        error.reply = redact(entry["text"])
        raise error

    async def _cached_or_in_flight(self, node, item, model, key, messages, params,
                                   check: Checker) -> dict[str, Any] | None:
        """The cached reply, or the reply of an identical request in flight (of this run or another run in this
        process), or None when this request must be sent. A cached reply that does not pass `check` (stored by an
        older version) is a miss."""
        while True:
            cached = self.records.get(key)
            if cached is not None and check(cached["text"]) is not None:
                cached = None
            future = self._inflight.get(key)
            if cached is not None or future is None:
                return cached
            t0 = time.perf_counter()
            try:
                entry = await asyncio.shield(future)
            except LLMError as exc:
                self._log(node, item, model, key, messages, params, None, t0, True, str(exc))
                raise
            except (BudgetExceeded, asyncio.CancelledError):
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # this request itself is being cancelled
                continue  # the sender stopped (its own budget, or cancelled): send it ourselves
            if check(entry["text"]) is not None:
                return None  # the same request under another check (text vs. structured): ask ourselves
            if self.records.get(key) is None:
                self.records.put(key, entry)  # another run's store
            return entry

    def _hit(self, node, item, model, key, messages, params, entry) -> LLMResponse:
        self.cache_hits += 1
        self._log(node, item, model, key, messages, params, {**entry, "cost_usd": 0.0}, time.perf_counter(), True,
                  None)
        return LLMResponse(entry["text"], entry["model"], entry["prompt_tokens"], entry["completion_tokens"], 0.0,
                           True, 0.0, key)

    async def _send(self, model: str, messages: Messages, params: dict[str, Any], kind: str = "chat",
                    call: _Call | None = None) -> tuple[Any, float | None]:
        """One request to the provider: concurrency slot, budget reservation, litellm, retries with backoff.
        Returns litellm's response and its cost (None: unknown price), booked against the budget here."""
        from .backend import get_litellm
        from .preflight import missing_key_fast

        if model not in self._checked_models and (fast := missing_key_fast(model, params)) is not None:
            raise fast  # before importing litellm: a cold start would spend seconds on it first
        litellm = get_litellm()
        params = dict(params)
        if model not in self._checked_models:
            problem = missing_key_error(model, params)
            if problem is not None:
                raise problem
            self._checked_models.add(model)
        timeout = float(params.pop("timeout", self.settings.timeout))
        attempts = 0
        async with self.limits.slot(model):
            estimate = estimate_cost(model, messages, params, kind) if self.budget.max_usd is not None else 0.0
            await self.budget.reserve(estimate)  # once a slot is free, so what is spent so far is known
            cost: float | None = None
            try:
                while True:
                    attempts += 1
                    if call is not None:
                        if attempts > 1 and call.abandoned:
                            raise asyncio.CancelledError()
                        call.sending = True
                    try:
                        if kind == "embed":
                            request = litellm.aembedding(model=model, input=messages, timeout=timeout, max_retries=0,
                                                         **params)
                        else:
                            request = litellm.acompletion(model=model, messages=messages, timeout=timeout,
                                                          max_retries=0, **params)
                        raw = await asyncio.wait_for(request, timeout)
                        _check_reply(raw, kind)
                        cost = reply_cost(model, raw, kind)
                        return raw, cost
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:
                        if is_retryable(exc) and attempts <= self.settings.retries:
                            if call is not None:
                                call.sending = False
                            await asyncio.sleep(backoff_delay(attempts - 1, self.settings.backoff_s))
                            continue
                        raise redact_error(to_gateway_error(exc, model, attempts, timeout,
                                                            params.get("api_base"))) from None
            finally:
                await self.budget.settle(estimate, cost)

    def _entry(self, model: str, raw: Any, cost: float | None) -> dict[str, Any]:
        usage = getattr(raw, "usage", None)
        choice = raw.choices[0] if getattr(raw, "choices", None) else None
        text = (choice.message.content if choice is not None else "") or ""
        return {"model": model, "text": text, "prompt_tokens": getattr(usage, "prompt_tokens", None),
                "completion_tokens": getattr(usage, "completion_tokens", None),
                "cost_usd": cost}

    def _log(self, node, item, model, key, messages, params, entry, t0, cache_hit, error) -> None:
        entry = entry or {}
        self.records.log_call(node=node, item=item, model=model, request_hash=key, messages=messages,
                              params=loggable_params(params), response=entry.get("text"),
                              prompt_tokens=entry.get("prompt_tokens"),
                              completion_tokens=entry.get("completion_tokens"), cost_usd=entry.get("cost_usd"),
                              latency_s=time.perf_counter() - t0, cache_hit=cache_hit, error=error)

    def _note_secrets(self, params: dict[str, Any]) -> None:
        """API keys passed as parameters are redacted from everything printed or stored."""
        store = self.records.store
        for name in ("api_key", "aws_secret_access_key", "azure_ad_token"):
            value = params.get(name)
            if isinstance(value, str) and value and value not in self._secret_params_seen:
                self._secret_params_seen.add(value)
                register_secrets({value: f"<{name}>"})
                if store is not None and value not in store.secrets:  # keep a `${env:...}` placeholder
                    store.add_secrets({value: f"<{name}>"})

    async def _structured(self, node, item, model, messages: Messages, schema: type[BaseModel],
                          params: dict[str, Any], use_cache: bool) -> StructuredResult:
        """A reply that validates against `schema`: lenient parsing and JSON repair first, then corrective
        re-asks within the retry budget. Only a valid reply is cached (under the original request)."""
        native = supports_schema(model) and "response_format" not in params
        send = messages if native else with_instruction(messages, schema)
        if native:
            params = {**params, "response_format": response_format(schema)}
        result = StructuredResult()

        def check(text: str) -> str | None:
            return parse_structured(text, schema)[1]

        def repair(asked: Messages, reply: str, problem: str) -> Messages:
            return corrective_messages(send, reply, problem, schema)

        try:
            resp = await self._ask(node, item, model, send, dict(params), use_cache, check, repair)
        except LLMItemError as exc:
            result.error, result.raw = str(exc), getattr(exc, "reply", "")
            return result
        result.responses.append(resp)
        result.value, result.raw = parse_structured(resp.text, schema)[0], resp.text
        return result

    async def _embed(self, node, item, model: str, texts: list[str], params: dict[str, Any],
                     use_cache: bool) -> np.ndarray:
        use_cache = use_cache and self.use_cache
        hashes = [CallStore.text_hash(t) for t in texts]
        found = self.records.get_vectors(model, hashes) if use_cache else {}
        todo = list(dict.fromkeys(h for h in hashes if h not in found))
        text_of = dict(zip(hashes, texts, strict=True))
        for start in range(0, len(todo), EMBED_BATCH):
            batch = todo[start:start + EMBED_BATCH]
            inputs = [text_of[h] for h in batch]
            key = request_hash(model, inputs, params, kind="embed")
            shown = {"embed": len(inputs), "first": inputs[:3]}
            t0 = time.perf_counter()
            try:
                raw, cost = await self._send(model, inputs, dict(params), kind="embed")
            except LLMError as exc:
                self._log(node, item, model, key, shown, params, None, t0, False, str(exc))
                raise
            vectors = {h: np.asarray(d["embedding"] if isinstance(d, dict) else d.embedding, dtype=np.float32)
                       for h, d in zip(batch, raw.data, strict=True)}
            usage = getattr(raw, "usage", None)
            self._log(node, item, model, key, shown, params,
                      {"text": None, "prompt_tokens": getattr(usage, "prompt_tokens", None), "cost_usd": cost},
                      t0, False, None)
            if use_cache:
                self.records.put_vectors(model, vectors)
            found.update(vectors)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[h] for h in hashes]).astype(np.float32, copy=False)


class _Call:
    """The state of one logical request, shared between its caller and the task that sends it."""

    __slots__ = ("abandoned", "sending")

    def __init__(self) -> None:
        self.abandoned = False  # the caller is gone: finish the request in flight, send nothing more
        self.sending = False  # a request is with the provider now


Checker = Callable[[str], "str | None"]
Repairer = Callable[[Messages, str, str], Messages]


def _non_empty(text: str) -> str | None:
    return None if text and text.strip() else "the reply is empty"


def _check_reply(raw: Any, kind: str) -> None:
    """A reply without the fields a reply has (no choices, no data) is a malformed reply: retried."""
    if kind == "embed":
        if not getattr(raw, "data", None):
            raise MalformedReply("the embedding reply holds no vectors")
    elif not getattr(raw, "choices", None) or getattr(raw.choices[0], "message", None) is None:
        raise MalformedReply("the reply holds no choices")


def _consume_exception(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()


class BoundGateway:
    """The gateway as one node sees it (`ctx.llm`): calls are logged under the node, and use the response cache
    unless the node says `cache: false` or the run has `--no-llm-cache`."""

    def __init__(self, gateway: Gateway, node: str | None = None, cache: bool = True, ctx: Any = None):
        self.gateway = gateway
        self.node = node
        self.cache = cache
        self.ctx = ctx

    @property
    def settings(self) -> LLMSettings:
        return self.gateway.settings

    # --- text -----------------------------------------------------------------------------------------------
    def _complete_coro(self, model: str, messages: str | Messages, item: Any, params: dict[str, Any]):
        return self._recorded(item, self.gateway._complete(self.node, item, model, normalize_messages(messages),
                                                           params, self.cache))

    async def _recorded(self, item: Any, coro: Any) -> Any:
        """Run a call; an item error (after the retries) is recorded on the node's context before it is raised
        (or, for structured calls, returned), which may fail the node (`settings.llm.max_item_errors`)."""
        try:
            result = await coro
        except LLMItemError as exc:
            self._item_failed(item, str(exc))
            raise
        if isinstance(result, StructuredResult) and result.error is not None:
            self._item_failed(item, result.error)
        return result

    def _item_failed(self, item: Any, message: str) -> None:
        if self.ctx is not None and hasattr(self.ctx, "item_failed"):
            self.ctx.item_failed("?" if item is None else item, message)

    async def complete(self, model: str, messages: str | Messages, *, item: Any = None, **params: Any) -> LLMResponse:
        """Send a chat request (a prompt string or a list of {role, content}); returns an `LLMResponse`."""
        return await loop.run_async(self._complete_coro(model, messages, item, params))

    def complete_sync(self, model: str, messages: str | Messages, *, item: Any = None, **params: Any) -> LLMResponse:
        """`complete` for a plain `def run` (a worker thread)."""
        return loop.run_sync(self._complete_coro(model, messages, item, params))

    # --- structured output ----------------------------------------------------------------------------------
    def _structured_coro(self, model, messages, schema, item, params):
        return self._recorded(item, self.gateway._structured(self.node, item, model, normalize_messages(messages),
                                                             schema, params, self.cache))

    async def structured(self, model: str, messages: str | Messages, schema: type[BaseModel], *, item: Any = None,
                         **params: Any) -> StructuredResult:
        """Ask for an instance of `schema` (a pydantic model class). A reply that does not validate after JSON
        repair and the corrective re-asks (within the retry budget) gives `result.error` (a per-item error),
        not an exception."""
        return await loop.run_async(self._structured_coro(model, messages, schema, item, params))

    def structured_sync(self, model: str, messages: str | Messages, schema: type[BaseModel], *, item: Any = None,
                        **params: Any) -> StructuredResult:
        return loop.run_sync(self._structured_coro(model, messages, schema, item, params))

    # --- embeddings -----------------------------------------------------------------------------------------
    async def embed(self, model: str, texts: list[str], *, item: Any = None, **params: Any) -> np.ndarray:
        """Embeddings of `texts` as a float32 (n, d) array, cached per text in the store."""
        return await loop.run_async(self.gateway._embed(self.node, item, model, list(texts), params, self.cache))

    def embed_sync(self, model: str, texts: list[str], *, item: Any = None, **params: Any) -> np.ndarray:
        return loop.run_sync(self.gateway._embed(self.node, item, model, list(texts), params, self.cache))
