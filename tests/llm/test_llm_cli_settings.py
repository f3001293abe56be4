"""LLM settings from the command line on top of the YAML's `settings: llm:`."""

from __future__ import annotations

import argparse

import pytest
from pipec.compiler.api import compile_text
from pipec.compiler.commands.common import add_graph_options, add_run_options, settings_from_args
from pipec.compiler.errors import UsageError

GRAPH = """\
settings:
  llm: {concurrency: 4, per_model_concurrency: {"fake/a": 1}, max_calls: 10}
nodes:
  v: {op: core.value, params: {value: 1}}
"""


def settings(tmp_path, *argv):
    parser = argparse.ArgumentParser()
    add_graph_options(parser)
    add_run_options(parser)
    args = parser.parse_args(["g.yaml", *argv])
    return settings_from_args(compile_text(GRAPH, "g.yaml", tmp_path), args).llm


def test_flags_override_the_yaml(tmp_path):
    llm = settings(tmp_path, "--max-usd", "0.5", "--max-calls", "3", "--llm-concurrency", "32", "--llm-timeout", "9",
                   "--llm-model-concurrency", "openai/*=4", "--llm-model-concurrency", "fake/a=2")
    assert (llm.max_usd, llm.max_calls, llm.concurrency, llm.timeout) == (0.5, 3, 32, 9.0)
    assert llm.per_model_concurrency == {"fake/a": 2, "openai/*": 4}


def test_yaml_settings_stay_without_flags(tmp_path):
    llm = settings(tmp_path)
    assert (llm.concurrency, llm.max_calls, llm.per_model_concurrency) == (4, 10, {"fake/a": 1})


def test_bad_model_concurrency_flag(tmp_path):
    with pytest.raises(UsageError, match="MODEL=N"):
        settings(tmp_path, "--llm-model-concurrency", "openai/*")
