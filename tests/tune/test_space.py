"""The tune section: errors located in the YAML (checked after compiling, as `pipe validate`/`pipe tune` do),
parameter kinds, order of greedy search."""

from __future__ import annotations

import random
import textwrap

import pytest
from pipec.compiler.commands.common import check_tune
from pipec.compiler.compile import compile_file
from pipec.compiler.errors import CompileError
from pipec.optimizers.space import parse_param, parse_spec

from .helpers import GRID_SPACE, write_graph

BAD = textwrap.dedent("""\
    pipeline: bad
    params:
      x: 0.0
    nodes:
      objective:
        op: tune.synthetic
        params: {x: "${x}"}
    tune:
      objective: objectiv.score
      strategy: gird
      space:
        x: {low: 0.5, high: 0.1}
        objective.yy: [1, 2]
        objective.y: [1, 20]
        objective.kind: {values: [a, z]}
        z: [1]
        objective.prompt: {prompts: []}
        objective.x: {low: 0, high: 1, stepp: 1}
    """)


def test_every_tune_error_is_reported_with_its_location(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    with pytest.raises(CompileError) as info:
        check_tune(compile_file(path))
    text = info.value.format()
    expected = [
        ("bad.yaml:9:", "no node 'objectiv'", "did you mean 'objective'?"),
        ("bad.yaml:10:", "unknown strategy 'gird'", "did you mean 'grid'?"),
        ("bad.yaml:12:", "empty range (low 0.5 > high 0.1)", ""),
        ("bad.yaml:13:", "has no parameter 'yy'", "did you mean 'y'?"),
        ("bad.yaml:14:22", "'objective.y' = 20 is not valid", "less than or equal to 10"),
        ("bad.yaml:15:", "'objective.kind' = 'z' is not valid", "pattern"),
        ("bad.yaml:16:", "'z' is neither a pipeline parameter nor NODE.PARAM", ""),
        ("bad.yaml:17:", "an empty list of prompts", ""),
        ("bad.yaml:18:", "unknown key 'stepp'", "did you mean 'step'?"),
    ]
    lines = text.splitlines()
    for where, what, hint in expected:
        assert any(where in line and what in line and hint in line for line in lines), (where, what, text)
    assert len(info.value.diagnostics) == len(expected)


def test_a_value_of_a_pipeline_parameter_is_checked_against_every_node_it_reaches(tmp_path):
    path = write_graph(tmp_path, {"space": {"x": {"values": [0.1, 5.0]}}})
    with pytest.raises(CompileError) as info:
        check_tune(compile_file(path))
    assert "'x' = 5.0 is not valid for node 'objective'" in info.value.format()
    assert "less than or equal to 1" in info.value.format()


def test_metric_must_come_from_a_metrics_output_and_constraints_need_a_bound(tmp_path):
    path = write_graph(tmp_path, {"space": GRID_SPACE, "objective": "objective", "constraints": [
        {"metric": "cost_usd"}], "secondary": {"metric": "duration_s", "direction": "minimize"}})
    with pytest.raises(CompileError) as info:
        check_tune(compile_file(path))
    text = info.value.format()
    assert "name the metric too" in text and "a constraint needs 'min' or 'max'" in text


def test_a_valid_tune_section_compiles(tmp_path):
    graph = compile_file(write_graph(tmp_path, {"space": GRID_SPACE}))
    check_tune(graph)
    spec, space, problems = parse_spec(graph.spec.tune)
    assert problems == [] and space.grid_size() == 5 * 5 * 3
    assert space.params["x"].grid() == [0.0, 0.15, 0.3, 0.45, 0.6]


def test_param_kinds_grid_sample_and_repair():
    p, problems = parse_param("lr", {"low": 1e-4, "high": 1e-1, "log": True, "points": 4}, 5)
    assert not problems and p.kind == "float"
    assert p.grid() == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1])
    rng = random.Random(0)
    assert all(1e-4 <= p.sample(rng) <= 1e-1 for _ in range(100))
    q, _ = parse_param("k", {"low": 1, "high": 20, "step": 3}, 5)
    assert q.kind == "int" and q.contains(7) and not q.contains(8) and not q.contains(22)
    assert q.repair(8) == (7, "k: 8 -> 7") and q.repair(100)[0] == 19
    c, _ = parse_param("m", ["minilm", "hashing"], 5)
    assert c.repair("MiniLM")[0] == "minilm"
    with pytest.raises(ValueError):
        c.repair("bert")
    _, problems = parse_param("bad", {"low": 0, "high": 1, "log": True}, 5)
    assert any("log range needs low > 0" in p.message and p.path == ("space", "bad", "low") for p in problems)


def test_models_first_order_puts_model_parameters_first(tmp_path, repo):
    from pipec.compiler.store import Store
    from pipec.optimizers.study import Tuner

    graph = repo / "examples" / "rag" / "tune.yaml"
    store = Store(tmp_path / "s")
    tuner = Tuner(graph, store)
    order = tuner.order()
    assert order[0] == "embedder"
    tuner.spec = tuner.spec.model_copy(update={"order": "pipeline"})
    assert tuner.order()[0] == "chunk_size" and tuner.order().index("embedder") > 0
    store.close()
