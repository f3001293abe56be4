"""The tune space is never materialised to be counted: huge ranges are lazy for sampling strategies and refused
at once for grid (with the size and the limit); a path below a plain parameter names the path and parameter."""

from __future__ import annotations

import time

import pytest

from .helpers import assert_clean_error, pipe

GRAPH = """pipeline: huge-space
params:
  x: 0.0
  deep: 3
nodes:
  objective:
    op: tune.synthetic
    params: {{x: "${{x}}", questions: 5, noise: 0.0}}
tune:
  objective: objective.score
  strategy: {strategy}
  trials: 3
  space:
{space}
"""
HUGE_INT = "    objective.questions: {low: 1, high: 1000000000000, step: 1}"
HUGE_FLOAT = "    x: {low: -1.0, high: 1.0, points: 100000000}"


def write(tmp_path, strategy: str, space: str):
    path = tmp_path / "g.yaml"
    path.write_text(GRAPH.format(strategy=strategy, space=space))
    return path


def timed(*argv):
    t0 = time.perf_counter()
    result = pipe(*argv)
    assert time.perf_counter() - t0 < 5.0, f"took {time.perf_counter() - t0:.1f}s"
    return result


@pytest.mark.parametrize("space", [HUGE_INT, HUGE_FLOAT, HUGE_INT + "\n" + HUGE_FLOAT])
def test_a_huge_space_validates_at_once_for_a_sampling_strategy(tmp_path, space):
    result = timed("validate", write(tmp_path, "random", space))
    assert result.code == 0, result.err


def test_a_wide_int_range_in_a_grid_takes_grid_points_values_without_being_built(tmp_path):
    result = timed("validate", write(tmp_path, "grid", HUGE_INT))  # 10^12 values: the grid has 5 of them
    assert result.code == 0, result.err


@pytest.mark.parametrize("space, size", [(HUGE_FLOAT, "100,000,000"),
                                         (HUGE_INT + "\n" + HUGE_FLOAT, "500,000,000")])
def test_a_huge_grid_is_refused_at_once_with_its_size_and_the_limit(tmp_path, space, size):
    path = write(tmp_path, "grid", space)
    result = timed("validate", path)
    assert_clean_error(result, path, 11, f"the grid has {size} points, more than the limit of 100,000",
                       "tune.max_grid")


def test_grid_chosen_on_the_command_line_is_refused_too(tmp_path):
    path = write(tmp_path, "random", HUGE_FLOAT)
    result = timed("tune", path, "--strategy", "grid", "--store", tmp_path / "st", "-q")
    assert_clean_error(result, None, None, "the grid has 100,000,000 points", "limit of 100,000")


def test_greedy_refuses_a_parameter_with_too_many_grid_values(tmp_path):
    path = write(tmp_path, "greedy", HUGE_FLOAT)
    assert_clean_error(timed("validate", path), path, 11, "strategy greedy tries every grid value of 'x'",
                       "100,000,000")


def test_random_search_runs_trials_on_a_huge_space(tmp_path):
    path = write(tmp_path, "random", HUGE_INT + "\n" + HUGE_FLOAT)
    result = timed("tune", path, "--trials", "3", "--store", tmp_path / "st", "-q", "--json")
    assert result.code == 0, result.err


@pytest.mark.parametrize("strategy", ["optuna"])
def test_other_sampling_strategies_run_on_a_huge_int_range(tmp_path, strategy):
    from pipec.optimizers.strategies import STRATEGIES

    if strategy not in STRATEGIES:
        pytest.skip(f"strategy {strategy} is not registered in this checkout")
    if strategy == "optuna":
        pytest.importorskip("optuna")
    path = write(tmp_path, strategy, HUGE_INT)
    result = timed("tune", path, "--trials", "2", "--store", tmp_path / "st", "-q")
    assert result.code == 0, result.err


def test_a_raised_limit_lets_a_big_grid_through(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text(GRAPH.format(strategy="grid", space="    x: {low: -1.0, high: 1.0, points: 200}")
                    .replace("  trials: 3", "  trials: 3\n  max_grid: 100"))
    assert_clean_error(pipe("validate", path), path, None, "the grid has 200 points, more than the limit of 100")
    path.write_text(path.read_text().replace("max_grid: 100", "max_grid: 1000"))
    assert pipe("validate", path).code == 0


@pytest.mark.parametrize("space_path, words", [
    ("deep.deeper", "pipeline parameter 'deep' is a single value (3), not a mapping"),
    ("objective.questions.deeper", "parameter 'questions' of node 'objective' is a single value"),
    ("objective.x.y.z", "parameter 'x' of node 'objective' is a single value"),
])
def test_a_path_below_a_plain_parameter_names_the_path_and_the_parameter(tmp_path, space_path, words):
    path = write(tmp_path, "random", f"    {space_path}: [1, 2]")
    assert_clean_error(timed("validate", path), path, 14, f"unknown tuning path '{space_path}'", words)


def test_a_huge_float_grid_is_a_lazy_sequence():
    from pipec.optimizers.space import Param

    grid = Param("x", "float", low=0.0, high=1.0, points=10**8).grid()
    assert len(grid) == 10**8 and (grid[0], grid[1], grid[-1]) == (0.0, 1e-08, 1.0)
    small = Param("x", "float", low=0.0, high=1.0, points=5).grid()
    assert small == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_the_study_starts_from_a_huge_grid_when_the_graphs_value_is_outside_it(tmp_path):
    path = write(tmp_path, "random", "    x: {low: 0.5, high: 1.0, points: 100000000}")  # the graph's x is 0.0
    result = timed("tune", path, "--trials", "2", "--store", tmp_path / "st", "-q")
    assert result.code == 0, result.err
