"""Every numeric flag is range-checked by the parser: a bad value is exit 2 with the allowed range, at once."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pytest
from pipec.compiler.cli import COMMANDS, build_parser

from .helpers import pipe

REPO = Path(__file__).resolve().parents[2]
QUICK = REPO / "examples" / "quickstart.yaml"
TUNE = REPO / "examples" / "rag" / "tune.yaml"


def numeric_actions():
    """(command, flag, action) for every flag whose value is a number, across every command."""
    found = []
    for name in COMMANDS:
        try:
            parser = build_parser([name])
        except ModuleNotFoundError:  # an optional extra not installed
            continue
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[name]
        for action in sub._actions:
            if action.option_strings and action.type is not None and action.type not in (str, Path):
                found.append((name, action.option_strings[-1], action))
    return found


def test_no_numeric_flag_uses_a_bare_int_or_float():
    bare = [(c, f) for c, f, a in numeric_actions() if a.type in (int, float)]
    assert not bare, f"use pipec.compiler.commands.ranges for these flags: {bare}"
    assert len(numeric_actions()) >= 8


@pytest.mark.parametrize("argv, words", [
    (["run", QUICK, "--llm-concurrency", "0"], "argument --llm-concurrency: 0 is out of range: an integer from 1"),
    (["run", QUICK, "--llm-concurrency", "-3"], "-3 is out of range"),
    (["run", QUICK, "--llm-concurrency", "many"], "'many' is not an integer"),
    (["run", QUICK, "--max-usd", "-1"], "argument --max-usd: -1 is out of range: a number from 0"),
    (["run", QUICK, "--max-usd", "nan"], "nan is not a finite number"),
    (["run", QUICK, "--max-usd", "inf"], "inf is not a finite number"),
    (["run", QUICK, "--max-calls", "-1"], "argument --max-calls: -1 is out of range"),
    (["run", QUICK, "--llm-timeout", "0"], "argument --llm-timeout: 0 is out of range: a number > 0"),
    (["tune", TUNE, "--trials", "-1"], "argument --trials: -1 is out of range: an integer from 1"),
    (["tune", TUNE, "--trials", "0"], "argument --trials: 0 is out of range"),
    (["tune", TUNE, "--timeout", "0"], "argument --timeout: 0 is out of range: a number > 0"),
    (["tune", TUNE, "--timeout", "-5"], "argument --timeout: -5 is out of range"),
    (["tune", TUNE, "--seed", "-1"], "argument --seed: -1 is out of range: an integer from 0 to 4294967295"),
    (["tune", TUNE, "--seed", "1e3"], "'1e3' is not an integer"),
    (["runs", "--limit", "0"], "argument --limit: 0 is out of range"),
    (["tui", "--poll", "-1"], "argument --poll: -1 is out of range: a number from 0 to 3600"),
])
def test_bad_flag_values_are_exit_2_with_the_range(argv, words, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    t0 = time.perf_counter()
    result = pipe(*argv)
    assert time.perf_counter() - t0 < 2.0
    assert result.code == 2 and words in result.err, result.err
    assert "Traceback" not in result.err and not (tmp_path / ".pipe").exists()


def test_good_values_still_parse():
    parser = build_parser(["run"])
    args = parser.parse_args(["run", "g.yaml", "--llm-concurrency", "4", "--max-usd", "0", "--llm-timeout", "0.5",
                              "--max-calls", "0"])
    assert (args.llm_concurrency, args.max_usd, args.llm_timeout, args.max_calls) == (4, 0.0, 0.5, 0)
