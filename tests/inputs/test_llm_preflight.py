"""`pipe validate` warns about a model litellm cannot route and a hosted model without its API key; a run fails
that node at once (no retries), naming the variable to set."""

from __future__ import annotations

import json

import pytest

from .helpers import pipe

GRAPH = """nodes:
  q: {op: core.value, params: {value: ["a", "b"]}}
  gen:
    op: llm.generate
    inputs: {items: q}
    params: {model: MODEL, prompt: "Q: {{ item }}"}
"""


def graph(tmp_path, model: str):
    path = tmp_path / "g.yaml"
    path.write_text(GRAPH.replace("MODEL", model))
    return path


def test_offline_models_get_no_warning_and_no_litellm_import(tmp_path):
    result = pipe("validate", graph(tmp_path, "fake/x"))
    assert result.code == 0 and "warning" not in result.err, result.err


@pytest.mark.slow  # imports litellm (seconds)
def test_validate_warns_about_an_unroutable_model_and_a_missing_key(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    result = pipe("validate", graph(tmp_path, "nope/x"))
    assert result.code == 0
    assert f"{tmp_path / 'g.yaml'}:3:3: warning: node 'gen': model 'nope/x': litellm cannot route it" in result.err
    assert "unknown provider 'nope'" in result.err
    result = pipe("validate", graph(tmp_path, "openai/gpt-4o-mini"))
    assert result.code == 0
    assert "model 'openai/gpt-4o-mini' (provider openai) needs OPENAI_API_KEY, which is not set" in result.err


@pytest.mark.slow
@pytest.mark.parametrize("model, words", [("openai/gpt-4o-mini", "OPENAI_API_KEY is not set"),
                                          ("nope/x", "unknown model 'nope/x'")])
def test_the_node_fails_at_once_without_retries(tmp_path, monkeypatch, model, words):
    from pipec.compiler.llm.backend import get_litellm

    get_litellm()  # the import is not the node's time
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    result = pipe("run", graph(tmp_path, model), "--store", tmp_path / "st", "--json", "-q")
    assert result.code == 1
    node = json.loads(result.out)["nodes"]["gen"]
    assert node["status"] == "failed" and words in node["error"], node
    assert node["duration_s"] < 2.0, node
    assert "attempts" not in node["error"]  # a final error: no retry


def test_a_cold_process_fails_a_node_without_its_key_at_once(tmp_path):
    """The key of a common provider is checked before litellm is imported (seconds in a fresh process)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    proc = subprocess.run([sys.executable, "-m", "pipec.compiler.cli", "run", str(graph(tmp_path, "openai/gpt-4o-mini")),
                           "--store", str(tmp_path / "st"), "--json", "-q"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 1, proc.stderr
    node = json.loads(proc.stdout)["nodes"]["gen"]
    assert "OPENAI_API_KEY is not set" in node["error"] and "provider openai" in node["error"], node
    assert node["duration_s"] < 2.0, node
