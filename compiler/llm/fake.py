"""The scripted fake provider: model strings `fake/<anything>`, served through litellm's custom provider map so
tests and offline examples exercise the real gateway path (cache, retries, budgets, log, cost).

Scripts (the same fields in Python and in a file):

    responses:          # mapping: substring of the last user message -> reply (first matching key in order;
                        #   no key in the last user message: earlier user messages are tried, newest first);
                        #   a list value: successive replies, the last one repeats; a dict value: replied as
                        #   JSON. Or a list: replies in call order, whatever the prompt
      "capital of France": "Paris"
    default: echo       # no match: "echo" (the last user message, verbatim) or a fixed reply
    latency: 0.2        # seconds per call
    failures:           # injected errors, consumed in order before replying
      - {error: rate_limit, times: 2, match: "France"}   # rate_limit | timeout | server_error | unavailable |
                                                          # connection | auth | bad_request | context_window
    prices: {input: 1.0e-6, output: 2.0e-6}   # USD per token; absent: the cost is unknown (NULL)
    embedding_dim: 64

In-process: `with fake_script({"France": "Paris"}, latency=0.01) as script: ...` (`script.calls` lists what the
provider received). Across processes (`pipe run`): `PIPEC_FAKE_LLM=path/to/script.yaml`. With no script the fake
echoes, and when a JSON schema is requested it returns a deterministic object that matches it.
Tokens are counted as whitespace-separated words.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from .backend import import_litellm
from .requests import FAKE_SCRIPT_ENV

CustomLLM = import_litellm().CustomLLM

ENV_VAR = FAKE_SCRIPT_ENV
ERRORS = ("rate_limit", "timeout", "server_error", "unavailable", "connection", "auth", "bad_request",
          "context_window")


class FakeScript:
    """Replies, latency, failures and prices for `fake/...` models. Thread-safe."""

    def __init__(self, responses: Any = None, *, default: str = "echo", latency: float = 0.0,
                 failures: list[dict[str, Any]] | None = None, prices: dict[str, float] | None = None,
                 embedding_dim: int = 64):
        if responses is not None and not isinstance(responses, (dict, list, tuple)) and not callable(responses):
            raise TypeError("fake script responses must be a mapping, a list or a callable(messages) -> str")
        for failure in failures or []:
            if failure.get("error") not in ERRORS:
                raise ValueError(f"fake script failure {failure!r}: 'error' must be one of {', '.join(ERRORS)}")
        self.responses = responses
        self.default = default
        self.latency = float(latency)
        self.failures = [dict(f, times=int(f.get("times", 1))) for f in failures or []]
        self.prices = prices
        self.embedding_dim = int(embedding_dim)
        self.calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._seq = 0
        self._per_key: dict[str, int] = {}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> FakeScript:
        if not isinstance(data, dict):
            raise ValueError("a fake LLM script file must hold a mapping (responses, default, latency, ...)")
        unknown = set(data) - {"responses", "default", "latency", "failures", "prices", "embedding_dim"}
        if unknown:
            raise ValueError(f"unknown key(s) in the fake LLM script: {', '.join(sorted(unknown))}")
        return cls(**data)

    # --- behaviour ------------------------------------------------------------------------------------------
    def reply(self, model: str, messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        last = last_user_text(messages)
        with self._lock:
            self.calls.append({"model": model, "messages": messages, "params": params})
            self._raise_injected(model, last)
            scripted = self._scripted(messages, last)
        if scripted is not None:
            return scripted if isinstance(scripted, str) else json.dumps(scripted, ensure_ascii=False)
        schema = _requested_schema(params)
        if schema is not None:
            return json.dumps(example_for_schema(schema, last), ensure_ascii=False)
        return last if self.default == "echo" else str(self.default)

    def _raise_injected(self, model: str, last: str) -> None:
        for failure in self.failures:
            if failure["times"] > 0 and failure.get("match", "") in last:
                failure["times"] -= 1
                raise make_error(failure["error"], model, failure.get("message"))

    def _scripted(self, messages: list[dict[str, Any]], last: str) -> Any:
        r = self.responses
        if r is None:
            return None
        if callable(r):
            return r(messages)
        if isinstance(r, (list, tuple)):
            if not r:
                return None
            value = r[min(self._seq, len(r) - 1)]
            self._seq += 1
            return value
        user_texts = [last] + [_content_text(m.get("content")) for m in reversed(messages[:-1])
                               if m.get("role") == "user"]
        for text in user_texts:  # the last user message first, then earlier ones (a corrective re-ask)
            for key, value in r.items():
                if key in text:
                    if isinstance(value, (list, tuple)):
                        n = self._per_key.get(key, 0)
                        self._per_key[key] = n + 1
                        return value[min(n, len(value) - 1)] if value else ""
                    return value
        return None


def make_error(kind: str, model: str, message: str | None = None) -> Exception:
    import litellm

    model = f"fake/{model}"
    text = message or f"injected {kind.replace('_', ' ')}"
    if kind == "rate_limit":
        return litellm.RateLimitError(text, llm_provider="fake", model=model)
    if kind == "timeout":
        return litellm.Timeout(text, model=model, llm_provider="fake")
    if kind == "server_error":
        return litellm.InternalServerError(text, llm_provider="fake", model=model)
    if kind == "unavailable":
        return litellm.ServiceUnavailableError(text, llm_provider="fake", model=model)
    if kind == "connection":
        return litellm.APIConnectionError(text, llm_provider="fake", model=model)
    if kind == "auth":
        return litellm.AuthenticationError(text, llm_provider="fake", model=model)
    if kind == "context_window":
        return litellm.ContextWindowExceededError(text, model=model, llm_provider="fake")
    return litellm.BadRequestError(text, model=model, llm_provider="fake")


# --- the active script ----------------------------------------------------------------------------------------
_active: list[FakeScript] = []
_file_cache: dict[str, tuple[float, FakeScript]] = {}
_default_script = FakeScript()
_state_lock = threading.Lock()


class fake_script:  # noqa: N801 - used like a function
    """Install a fake script now; as a context manager, restore the previous one on exit.

        with fake_script({"France": "Paris"}, latency=0.01) as script:
            ...
        assert len(script.calls) == 1
    """

    def __init__(self, responses: Any = None, **options: Any):
        self.script = FakeScript(responses, **options)
        with _state_lock:
            _active.append(self.script)

    def __enter__(self) -> FakeScript:
        return self.script

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        with _state_lock:
            if self.script in _active:
                _active.remove(self.script)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.script, name)


def load_script_file(path: str | Path) -> FakeScript:
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read the fake LLM script {path} ({ENV_VAR}): {exc}") from None
    try:
        return FakeScript.from_data(data)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"bad fake LLM script {path} ({ENV_VAR}): {exc}") from None


def current_script() -> FakeScript:
    with _state_lock:
        if _active:
            return _active[-1]
    path = os.environ.get(ENV_VAR)
    if not path:
        return _default_script
    mtime = Path(path).stat().st_mtime if Path(path).exists() else -1.0
    with _state_lock:
        cached = _file_cache.get(path)
        if cached is None or cached[0] != mtime:
            cached = _file_cache[path] = (mtime, load_script_file(path))
        return cached[1]


# --- helpers --------------------------------------------------------------------------------------------------
def last_user_text(messages: list[dict[str, Any]]) -> str:
    for m in reversed(messages):
        if m.get("role") == "user":
            return _content_text(m.get("content"))
    return _content_text(messages[-1].get("content")) if messages else ""


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # multi-part content: keep the text parts
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def count_tokens(text: str) -> int:
    return len(text.split())


def _requested_schema(params: dict[str, Any]) -> dict[str, Any] | None:
    fmt = params.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        return (fmt.get("json_schema") or {}).get("schema")
    if isinstance(fmt, type) and hasattr(fmt, "model_json_schema"):
        return fmt.model_json_schema()
    return None


def example_for_schema(schema: dict[str, Any], seed_text: str, defs: dict[str, Any] | None = None) -> Any:
    """A deterministic value matching a JSON schema, built from the words of `seed_text`."""
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return example_for_schema(defs.get(schema["$ref"].split("/")[-1], {}), seed_text, defs)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return example_for_schema(options[0], seed_text, defs)
    words = seed_text.split()
    kind = schema.get("type", "object")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: example_for_schema(sub, f"{name} {seed_text}" if sub.get("type") == "string" else seed_text,
                                         defs) for name, sub in props.items()}
    if kind == "array":
        return [example_for_schema(schema.get("items", {"type": "string"}), seed_text, defs)]
    if kind == "integer":
        return len(words)
    if kind == "number":
        return float(len(words)) / 2
    if kind == "boolean":
        return len(words) % 2 == 0
    return " ".join(words[:6])


def fake_embedding(text: str, dim: int) -> list[float]:
    """A hashed bag of words, L2-normalised: texts sharing words have a positive cosine."""
    vec = np.zeros(dim, dtype=np.float32)
    for word in text.lower().split() or [""]:
        h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
        vec[h % dim] += 1.0 if (h >> 32) & 1 else -1.0
    norm = float(np.linalg.norm(vec)) or 1.0
    return (vec / norm).tolist()


_registered_prices: dict[str, tuple[float, float] | None] = {}


def _sync_prices(model: str, script: FakeScript) -> None:
    """Make litellm's cost map know this fake model's price (or forget it), so cost goes the normal path."""
    import litellm

    key = f"fake/{model}"
    prices = script.prices
    wanted = (float(prices.get("input", 0.0)), float(prices.get("output", 0.0))) if prices else None
    if _registered_prices.get(key) == wanted:
        return
    if wanted is None:
        litellm.model_cost.pop(key, None)
        _forget_cached_model_info()
    else:
        litellm.register_model({key: {"input_cost_per_token": wanted[0], "output_cost_per_token": wanted[1],
                                      "litellm_provider": "fake", "mode": "chat"}})
    _registered_prices[key] = wanted


def _forget_cached_model_info() -> None:
    """litellm memoizes model info (prices): forget it when a fake model's price is removed."""
    import litellm.utils as utils

    for name in ("_cached_get_model_info", "cached_get_model_info_helper"):
        clear = getattr(getattr(utils, name, None), "cache_clear", None)
        if clear is not None:
            clear()
    invalidate = getattr(utils, "_invalidate_model_cost_lowercase_map", None)
    if invalidate is not None:
        invalidate()


# --- the litellm handler --------------------------------------------------------------------------------------
class FakeLLM(CustomLLM):
    def _respond(self, model: str, messages: list, optional_params: dict, model_response: Any) -> Any:
        import litellm

        script = current_script()
        _sync_prices(model, script)
        text = script.reply(model, messages, dict(optional_params or {}))
        model_response.model = model
        model_response.choices[0].message.content = text
        prompt = sum(count_tokens(_content_text(m.get("content"))) for m in messages)
        completion = count_tokens(text)
        model_response.usage = litellm.Usage(prompt_tokens=prompt, completion_tokens=completion,
                                             total_tokens=prompt + completion)
        return model_response

    def completion(self, model, messages, *args, **kwargs):
        script = current_script()
        if script.latency:
            time.sleep(script.latency)
        return self._respond(model, messages, kwargs.get("optional_params"), kwargs["model_response"])

    async def acompletion(self, model, messages, *args, **kwargs):
        script = current_script()
        if script.latency:
            await asyncio.sleep(script.latency)
        return self._respond(model, messages, kwargs.get("optional_params"), kwargs["model_response"])

    def _embed(self, model: str, inputs: list, model_response: Any) -> Any:
        import litellm

        script = current_script()
        texts = [t if isinstance(t, str) else str(t) for t in inputs]
        with script._lock:
            script.calls.append({"model": model, "input": texts, "params": {}})
            script._raise_injected(model, " ".join(texts))
        model_response.model = model
        model_response.data = [{"object": "embedding", "index": i, "embedding": fake_embedding(t, script.embedding_dim)}
                               for i, t in enumerate(texts)]
        tokens = sum(count_tokens(t) for t in texts)
        model_response.usage = litellm.Usage(prompt_tokens=tokens, completion_tokens=0, total_tokens=tokens)
        return model_response

    def embedding(self, model, input, model_response, *args, **kwargs):  # noqa: A002 - litellm's name
        latency = current_script().latency
        if latency:
            time.sleep(latency)
        return self._embed(model, input, model_response)

    async def aembedding(self, model, input, model_response, *args, **kwargs):  # noqa: A002
        latency = current_script().latency
        if latency:
            await asyncio.sleep(latency)
        return self._embed(model, input, model_response)

