"""`pipe tune` on the command line: table, best config YAML that validates and reproduces the best score."""

from __future__ import annotations

import json

import yaml
from pipec.compiler.cli import main

from .helpers import GRID_SPACE, OPTIMUM, write_graph


def test_tune_writes_a_best_config_that_validates_and_reproduces_the_score(tmp_path, capsys):
    graph = write_graph(tmp_path, {"space": GRID_SPACE, "strategy": "greedy"})
    out = tmp_path / "best.yaml"
    code = main(["tune", str(graph), "--store", str(tmp_path / "s"), "--out", str(out), "--study", "cli"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "study cli (greedy)" in captured.out and "effect of each parameter" in captured.out
    header = next(line for line in captured.out.splitlines() if "objective.score" in line)
    assert all(name in header for name in ("objective.y", "cost $", "time s", "cached", "note"))  # not crushed
    assert "best: trial" in captured.err and "objective.score = 1.1" in captured.err
    assert "trial 0: 0.75 (best 0.75)" in captured.err  # a line per trial, the baseline first
    assert main(["validate", str(out)]) == 0
    # A fresh store: nothing memoized, the score is recomputed from the YAML alone.
    assert main(["run", str(out), "--store", str(tmp_path / "fresh"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["metrics"]["objective"]["score"] == OPTIMUM
    data = yaml.safe_load(out.read_text())
    assert data["params"]["x"] == 0.3 and data["nodes"]["objective"]["params"]["y"] == 4
    assert "tune" in data


def test_json_output_and_a_resumed_study(tmp_path, capsys):
    graph = write_graph(tmp_path, {"space": GRID_SPACE})
    args = ["tune", str(graph), "--store", str(tmp_path / "s"), "--strategy", "random", "--seed", "3",
            "--study", "j", "--json", "-q"]
    assert main(args + ["--trials", "4"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(args + ["--trials", "6"]) == 0
    captured = capsys.readouterr()
    second = json.loads(captured.out)
    assert "resumed study j" in captured.err
    assert [t["config"] for t in second["trials"][:4]] == [t["config"] for t in first["trials"]]
    assert len(second["trials"]) == 6 and second["stop_reason"] == "trials"


def test_best_yaml_keeps_relative_paths_working_from_another_folder(tmp_path):
    src = tmp_path / "project"
    (src / "data").mkdir(parents=True)
    graph = write_graph(src, {"space": {"kind": ["a", "b"]}})
    data = yaml.safe_load(graph.read_text())
    data["params"]["data_dir"] = "data"
    graph.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "elsewhere" / "best.yaml"
    out.parent.mkdir()
    assert main(["tune", str(graph), "--store", str(tmp_path / "s"), "--out", str(out), "-q"]) == 0
    best = yaml.safe_load(out.read_text())
    assert best["params"]["data_dir"] == "../project/data" and best["params"]["kind"] == "b"


def test_errors_are_one_clear_line(tmp_path, capsys):
    plain = tmp_path / "plain.yaml"
    plain.write_text("nodes:\n  a: {op: core.value, params: {value: 1}}\n")
    assert main(["tune", str(plain), "--store", str(tmp_path / "s")]) == 2
    assert "has no 'tune' section" in capsys.readouterr().err
    graph = write_graph(tmp_path, {"space": {"x": {"low": 1, "high": 0}}})
    assert main(["tune", str(graph), "--store", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert "graph.yaml:" in err and "empty range" in err and "Traceback" not in err


def test_help_describes_study_budgets_resume_and_exit_codes(capsys):
    import pytest

    with pytest.raises(SystemExit) as exc:
        main(["tune", "--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0
    for text in ("--strategy {grid,random,greedy,llm,halving,hyperband}", "--max-usd X", "stop the study when its LLM spend",
                 "--study NAME", "resume", "exit codes", "--out FILE", "docs/tune.md"):
        assert text in out
