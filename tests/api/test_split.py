"""Request inputs split the plan at compile time: the static part (no input upstream) and the per-request part."""

from __future__ import annotations

import pytest
from pipec.compiler.compile import compile_text
from pipec.compiler.errors import CompileError
from pipec.compiler.request_executor import RequestExecutor, prepare_static

INPUT_AT_START = """
inputs:
  x: {type: Number}
nodes:
  a: {op: core.identity, inputs: {value: "${x}"}}
  b: {op: core.add, inputs: {values: [a]}, params: {add: 1}}
"""

INPUT_IN_THE_MIDDLE = """
inputs:
  x: {type: Number}
nodes:
  base: {op: core.value, params: {value: 10}}
  slow: {op: core.sleep, inputs: {value: base}, params: {seconds: 0}}
  mix: {op: core.add, inputs: {values: [slow, inputs.x]}}
  after: {op: core.add, inputs: {values: [mix]}, params: {add: 1}}
"""

INPUT_AT_THE_END = """
inputs:
  x: {type: Number}
nodes:
  one: {op: core.value, params: {value: 1}}
  two: {op: core.add, inputs: {values: [one]}, params: {add: 1}}
  three: {op: core.add, inputs: {values: [two]}, params: {add: 1}}
  last: {op: core.add, inputs: {values: [three, "${x}"]}}
outputs:
  total: last.value
"""


def test_input_at_the_start_leaves_an_empty_static_part():
    graph = compile_text(INPUT_AT_START)
    assert graph.request_inputs == {"x": "Number"}
    assert graph.static_nodes == []
    assert graph.request_nodes == ["inputs", "a", "b"]
    # no outputs: the sinks of the per-request part
    assert {k: str(r) for k, r in graph.outputs.items()} == {"b": "b.value"}
    result = RequestExecutor(graph, None, inputs={"x": 4}).run()
    assert result.status == "succeeded" and result.outputs == {"b": 5}


def test_input_in_the_middle():
    graph = compile_text(INPUT_IN_THE_MIDDLE)
    assert graph.static_nodes == ["base", "slow"]
    assert set(graph.request_nodes) == {"inputs", "mix", "after"}
    result = RequestExecutor(graph, None, inputs={"x": 5}).run()
    assert result.outputs == {"after": 16}


def test_input_at_the_end_and_the_static_part_runs_once(store):
    graph = compile_text(INPUT_AT_THE_END)
    assert graph.static_nodes == ["one", "two", "three"]
    assert graph.request_nodes == ["inputs", "last"]
    static_run, values = prepare_static(graph, store)
    assert static_run.status == "succeeded" and set(values) == {"three"}
    for x, expected in ((1, 4), (2, 5)):
        result = RequestExecutor(graph, store, inputs={"x": x}, static_values=values).run()
        assert result.outputs == {"total": expected}
        assert {n: r.status for n, r in result.nodes.items()} == {
            "inputs": "succeeded", "one": "cached", "two": "cached", "three": "cached", "last": "succeeded"}
    # a second process (restart) finds the static part memoized: nothing of it runs again
    again, _ = prepare_static(graph, store)
    assert all(r.status == "cached" for r in again.nodes.values())


def test_an_unused_input_is_an_error_at_its_line():
    text = "inputs:\n  x: {type: Number}\n  unused: {type: Text}\nnodes:\n  a: {op: core.identity, inputs: {value: '${x}'}}\n"
    with pytest.raises(CompileError) as info:
        compile_text(text, file="g.yaml")
    [diag] = info.value.diagnostics
    assert "input 'unused' is not used by any node" in diag.message
    assert (diag.location.file, diag.location.line) == ("g.yaml", 3)


def test_a_type_a_request_cannot_supply_is_an_error():
    text = "inputs:\n  x: {type: Index}\nnodes:\n  a: {op: core.identity, inputs: {value: '${x}'}}\n"
    with pytest.raises(CompileError) as info:
        compile_text(text, file="g.yaml")
    assert any("type 'Index' cannot come from a request" in d.message for d in info.value.diagnostics)


def test_missing_and_bad_request_values_are_usage_errors():
    from pipec.compiler.errors import UsageError

    graph = compile_text(INPUT_AT_START)
    with pytest.raises(UsageError, match="missing request input 'x'"):
        RequestExecutor(graph, None, inputs={})
    with pytest.raises(UsageError, match="input 'x' takes a number"):
        RequestExecutor(graph, None, inputs={"x": "many"})


def test_a_question_input_feeds_a_questions_port():
    text = """
inputs:
  question: {type: Question}
nodes:
  q: {op: core.identity, inputs: {value: "${question}"}}
"""
    graph = compile_text(text)
    result = RequestExecutor(graph, None, inputs={"question": "who wrote it?"}).run()
    [question] = result.outputs["q"]
    assert question.question == "who wrote it?" and question.answers == []


def test_inputs_for_a_graph_without_inputs_are_an_error():
    from pipec.compiler.errors import UsageError

    graph = compile_text("nodes:\n  a: {op: core.value, params: {value: 1}}\n")
    with pytest.raises(UsageError, match="declares no request inputs"):
        RequestExecutor(graph, None, inputs={"x": 1})
    assert RequestExecutor(graph, None).run().outputs == {}
