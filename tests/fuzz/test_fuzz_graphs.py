"""Mutations of every shipped example through `pipe validate`: always exit 0 or 2, never a traceback or an
internal error, each within 2 seconds. A fixed seed and a small budget here; see harness.py for a longer run."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .harness import CORPUS, DERANDOMIZE, EXAMPLES_PER_TEST, check, graph_examples, warm_up, workspace
from .mutations import mutated

EXAMPLES = graph_examples()
FUZZ = settings(max_examples=EXAMPLES_PER_TEST, deadline=None, derandomize=DERANDOMIZE, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def test_the_examples_are_found():
    assert len(EXAMPLES) >= 8, EXAMPLES


@pytest.mark.parametrize("example", EXAMPLES, ids=[str(p.relative_to(p.parents[1])) for p in EXAMPLES])
def test_mutated_example_is_exit_0_or_2(example):
    text = example.read_text()
    folder = workspace(example)
    warm_up(["validate"], text.encode(), folder, example.name)

    @FUZZ
    @given(st.data())
    def run(data):
        check(["validate"], data.draw(mutated(text)), folder, example.name)

    run()


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=[str(p.relative_to(p.parents[1])) for p in EXAMPLES])
def test_heavily_mutated_example_is_exit_0_or_2(example):
    """Many mutations stacked (heavier: marked slow)."""
    text = example.read_text()
    folder = workspace(example)
    warm_up(["validate"], text.encode(), folder, example.name)

    @settings(FUZZ, max_examples=EXAMPLES_PER_TEST * 2)
    @given(st.lists(st.integers(1, 3), min_size=2, max_size=4), st.data())
    def run(rounds, data):
        current = text
        for _ in rounds:
            current = data.draw(mutated(current)).decode("utf-8", errors="replace")
        check(["validate"], current.encode(), folder, example.name)

    run()


CORPUS_FILES = sorted(CORPUS.glob("*.yaml"))


@pytest.mark.parametrize("path", CORPUS_FILES, ids=[p.name for p in CORPUS_FILES])
def test_corpus_input_is_exit_0_or_2(path, tmp_path):
    """Inputs found by the fuzzer (and the broken files of issue 16) stay fixed."""
    data = path.read_bytes()
    warm_up(["validate"], data, tmp_path, path.name)  # imports what this input reaches; then timed
    check(["validate"], data, tmp_path, path.name)
