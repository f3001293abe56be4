"""The tune check speaks the one problem type (compiler.errors.Problem): grid limits, and the `validate` of a
prompt candidate's op whether it returns Problems or the older (parameter, message, fix) tuples."""

from __future__ import annotations

import textwrap

from pipec.compiler.compile import compile_text
from pipec.compiler.errors import Problem
from pipec.compiler.registry import Registry
from pipec.optimizers.space import grid_problems, parse_spec
from pipec.optimizers.synthetic import Synthetic
from pipec.optimizers.tune_check import check_tune_section


class ProblemPrompt(Synthetic):
    """Refuses a prompt with 'bad' in it, as a Problem."""

    name = "test.problem_prompt"

    def validate(self, base_dir):
        if "bad" in self.params.prompt:
            return [Problem("the prompt says bad", path=("prompt",), fix="say something good")]
        return []


class TuplePrompt(Synthetic):
    name = "test.tuple_prompt"

    def validate(self, base_dir):
        return [("prompt", "the prompt says bad", None)] if "bad" in self.params.prompt else []


def graph_with(op: str):
    registry = Registry()
    registry.register(ProblemPrompt)
    registry.register(TuplePrompt)
    return compile_text(textwrap.dedent(f"""\
        nodes:
          objective: {{op: {op}}}
        tune:
          objective: objective.score
          space:
            objective.prompt: {{prompts: ["a good prompt", "a bad prompt"]}}
        """), registry=registry)


def test_a_prompt_candidate_refused_by_validate_is_one_problem_at_its_place():
    for op in ("test.problem_prompt", "test.tuple_prompt"):
        (problem,) = check_tune_section(graph_with(op))
        assert isinstance(problem, Problem)
        assert problem.path == ("space", "objective.prompt", "prompts", 1)
        assert "prompt candidate 2" in problem.message and "the prompt says bad" in problem.message
        assert problem.fix == ("say something good" if op == "test.problem_prompt" else None)


def test_grid_problems_are_problems_at_the_strategy():
    _, space, problems = parse_spec({"objective": "o.score", "space": {"a": {"low": 0, "high": 1000},
                                                                         "b": {"low": 0, "high": 1000}}})
    assert problems == []
    (problem,) = grid_problems(space, "grid", limit=10)
    assert problem.path == ("strategy",) and "more than the limit of 10" in problem.message
    assert "raise tune.max_grid" in problem.fix
    assert grid_problems(space, "random", limit=10) == []
