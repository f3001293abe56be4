"""Fixtures of the fault tests: the misbehaving OpenAI-compatible server on loopback, and graphs that call it
through the real litellm path (`openai/gpt-4o-mini` with `api_base`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fault_server import FaultServer  # noqa: E402

MARKER_KEY = "sk-marker-7f3a9c1e5b2d4f60-must-never-be-stored"
KEY_ENV = "PIPEC_FAULT_KEY"


def pytest_configure(config):
    config.addinivalue_line("filterwarnings", "ignore:.*using the `ReadOnly` qualifier:UserWarning")


@pytest.fixture(scope="session")
def warm_litellm():
    """litellm's first request in a process takes ~2 s (imports, client set-up): longer than the tests'
    1 s timeout, so one request is sent before the tests count attempts."""
    from pipec.compiler.llm.backend import get_litellm

    with FaultServer() as s:
        get_litellm().completion(model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "warm up"}],
                                 api_base=s.url, api_key="sk-warm-up", max_retries=0, timeout=30)


@pytest.fixture
def server(warm_litellm):
    with FaultServer(hang_s=3.0) as s:
        yield s


@pytest.fixture
def marker_key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, MARKER_KEY)
    return MARKER_KEY


def items(n: int) -> list[dict]:
    return [{"id": f"q{i}", "question": f"item q{i}"} for i in range(1, n + 1)]


def fault_graph(url: str, n: int = 5, op: str = "llm.generate", settings: str = "", extra: str = "",
                params: str = "") -> str:
    """A graph: `n` items -> one LLM node against the server (key from ${env:PIPEC_FAULT_KEY})."""
    fields = "\n      fields: {city: str, population: int}" if op == "llm.extract" else ""
    return f"""\
pipeline: faults
settings:
  llm: {{retries: 2, backoff_s: 0.01, timeout: 1.0{settings}}}
nodes:
  qs:
    op: core.value
    params: {{value: {json.dumps(items(n))}}}
  ask:
    op: {op}
    inputs: {{items: qs}}
    params:
      model: openai/gpt-4o-mini
      prompt: "Answer {{{{ item.question }}}}"
      max_tokens: 50{fields}
      params: {{api_base: "{url}", api_key: "${{env:{KEY_ENV}}}"{params}}}
outputs:
  out: ask.{"records" if op == "llm.extract" else "texts"}
{extra}"""


def compile_graph(text: str, tmp_path: Path):
    from pipec.compiler.api import compile_text

    path = tmp_path / "g.yaml"
    path.write_text(text)
    return compile_text(text, str(path), tmp_path)
