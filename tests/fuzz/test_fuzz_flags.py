"""Random values for every numeric flag of every command: the parser accepts a value in range or exits 2 naming
the flag; never a traceback. A few real processes check the same end to end."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pipec.compiler.cli import build_parser

from tests.inputs.helpers import pipe, pipe_process
from tests.inputs.test_cli_flags import numeric_actions

from .harness import DERANDOMIZE, EXAMPLES_PER_TEST, REPO

ACTIONS = numeric_actions()
NEEDS_GRAPH = {"run", "validate", "graph", "tune", "serve"}
flag_values = st.one_of(
    st.integers(-(10**25), 10**25).map(str), st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=12), st.sampled_from(["0", "-0", "-1", "1e309", "nan", "-inf", " 5 ", "0x10", "1_000", "",
                                           "4294967296", "1e-320", "٣"]),
)


def parse(command: str, flag: str, value: str):
    argv = [command] + (["g.yaml"] if command in NEEDS_GRAPH else []) + [f"{flag}={value}"]
    return build_parser(argv).parse_args(argv)


@pytest.mark.parametrize("command, flag", [(c, f) for c, f, _ in ACTIONS], ids=[f"{c}{f}" for c, f, _ in ACTIONS])
def test_every_numeric_flag_takes_a_value_in_range_or_exits_2(command, flag, capsys):
    dest = next(a.dest for c, f, a in ACTIONS if (c, f) == (command, flag))

    @settings(max_examples=EXAMPLES_PER_TEST * 2, deadline=None, derandomize=DERANDOMIZE, database=None)
    @given(flag_values)
    def run(value):
        try:
            args = parse(command, flag, value)
        except SystemExit as exc:
            assert exc.code == 2
            err = capsys.readouterr().err
            assert f"argument {flag}" in err and "Traceback" not in err, err
            return
        got = getattr(args, dest)
        assert isinstance(got, (int, float)) and math.isfinite(got)
        assert not (isinstance(got, int) and got < 0 and flag != "--seed")  # no count or budget is negative

    run()


@pytest.mark.parametrize("argv, words", [
    (["run", "examples/quickstart.yaml", "--llm-concurrency", "0"], "--llm-concurrency: 0 is out of range"),
    (["tune", "examples/rag/tune.yaml", "--trials", "-1"], "--trials: -1 is out of range"),
    (["run", "examples/quickstart.yaml", "--max-usd=-1"], "--max-usd: -1 is out of range"),
])
def test_real_processes_refuse_bad_flags(argv, words):
    result = pipe_process(*argv, cwd=REPO, timeout=60)
    assert result.code == 2 and words in result.err and "Traceback" not in result.err, result.err


def test_in_process_and_real_process_agree(tmp_path):
    argv = ["run", str(REPO / "examples" / "quickstart.yaml"), "--llm-timeout", "0", "--store", str(tmp_path)]
    assert pipe(*argv).code == pipe_process(*argv, timeout=60).code == 2
