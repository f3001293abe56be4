"""Graphs that call the fault server through the real litellm path (imported by the fault tests)."""

from __future__ import annotations

import json
from pathlib import Path

MARKER_KEY = "sk-marker-7f3a9c1e5b2d4f60-must-never-be-stored"
KEY_ENV = "PIPEC_FAULT_KEY"


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
