"""Issue 12 on the command line: the studies CLI, validation in `pipe tune`, and the bugs found trying it."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
import yaml
from pipec.compiler.cli import main

from .helpers import GRID_SPACE, write_graph

EXAMPLE_DATA = Path(__file__).resolve().parents[2] / "examples" / "rag" / "data"


def test_studies_cli_lists_shows_and_exports_as_json(tmp_path, capsys):
    graph = write_graph(tmp_path, {"space": GRID_SPACE, "strategy": "random", "trials": 4})
    store = str(tmp_path / "s")
    assert main(["tune", str(graph), "--store", store, "--study", "one", "-q"]) == 0
    capsys.readouterr()
    assert main(["studies", "--store", store, "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    (row,) = listing["studies"]
    assert row["name"] == "one" and row["status"] == "finished" and row["complete"] == 4 and row["failed"] == 0
    assert isinstance(row["best"], float) and row["strategy"] == "random"
    assert main(["study", "show", "last", "--store", store, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["study"] == "one" and [t["number"] for t in shown["trials"]] == [0, 1, 2, 3]
    assert isinstance(shown["trials"][0]["config"], dict) and isinstance(shown["validation"], dict)  # no JSON strings
    assert shown["validation"]["objectives"][0]["metric"] == "objective.score"
    out, table = tmp_path / "sub" / "best.yaml", tmp_path / "trials.csv"  # sub/ does not exist yet
    assert main(["study", "export", "one", "--store", store, "--out", str(out), "--csv", str(table),
                 "--json"]) == 0
    written = json.loads(capsys.readouterr().out)
    assert written["out"]["trial"] == shown["best"]["number"] and written["csv"]["rows"] == 4
    assert main(["validate", str(out)]) == 0
    rows = list(csv.DictReader(table.open()))
    assert [r["number"] for r in rows] == ["0", "1", "2", "3"] and "objective.score" in rows[0]
    assert main(["study", "show", "nosuch", "--store", store]) == 2
    assert "no study 'nosuch'" in capsys.readouterr().err


def test_a_dead_study_shows_interrupted(tmp_path, capsys):
    from pipec.compiler.store import Store
    from pipec.optimizers.records import StudyRecords

    graph = write_graph(tmp_path, {"space": GRID_SPACE, "trials": 2})
    store_dir = str(tmp_path / "s")
    assert main(["tune", str(graph), "--store", store_dir, "--study", "dead", "-q"]) == 0
    store = Store(store_dir)
    records = StudyRecords(store)
    row = records.find("dead")
    settings = json.loads(row["settings_json"])
    records.set_status(row["id"], "running", {**settings, "pid": 2 ** 22 + 12345})  # a pid that does not exist
    store.close()
    capsys.readouterr()
    assert main(["studies", "--store", store_dir, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["studies"][0]["status"] == "interrupted"


def test_unknown_order_is_a_usage_error_before_any_study_exists(tmp_path, capsys):
    graph = write_graph(tmp_path, {"space": GRID_SPACE})
    store = str(tmp_path / "s")
    code = main(["tune", str(graph), "--store", store, "--strategy", "greedy", "--order", "kindd", "--study", "o"])
    err = capsys.readouterr().err
    assert code == 2 and "'kindd' is not a parameter of the space" in err and "kind" in err
    assert "internal error" not in err
    if Path(store).exists():
        assert main(["studies", "--store", store, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["studies"] == []


def test_hyperband_is_accepted_as_a_strategy(tmp_path, capsys):
    graph = write_graph(tmp_path, {"space": GRID_SPACE, "halving": {"param": "questions", "min": 2, "max": 18,
                                                                    "eta": 3}})
    code = main(["tune", str(graph), "--store", str(tmp_path / "s"), "--strategy", "hyperband", "--trials", "12",
                 "--json", "-q"])
    assert code == 0, capsys.readouterr().err
    data = json.loads(capsys.readouterr().out)
    assert data["strategy"] == "halving" and data["trials"][1]["budget"] == 2


def test_resumed_trial_lines_show_the_study_best_and_halving_best_is_full_size(tmp_path, capsys):
    graph = write_graph(tmp_path, {"space": GRID_SPACE, "strategy": "random"})
    args = ["tune", str(graph), "--store", str(tmp_path / "s"), "--study", "r", "--seed", "0"]
    assert main(args + ["--trials", "6"]) == 0
    first = capsys.readouterr()
    best_line = next(line for line in first.err.splitlines() if line.startswith("best: trial"))
    best_value = best_line.split("= ")[1].split()[0]
    assert main(args + ["--trials", "7"]) == 0
    second = capsys.readouterr().err
    line = next(line for line in second.splitlines() if line.startswith("trial 6:"))
    shown = line.split("(best ")[1].split(")")[0]
    assert float(shown) >= float(best_value)  # the study's best, not only this session's trial 6

    from pipec.optimizers.strategies import TrialView
    from pipec.optimizers.study import best_trial
    from pipec.optimizers.tune_spec import HalvingSpec, TuneSpec

    spec = TuneSpec(objective="o.score", space={"x": [1]}, halving=HalvingSpec(param="questions", min=2, max=18))
    small = TrialView(1, {"x": 1}, 2, "complete", 0.99, 0.99)
    full = TrialView(2, {"x": 2}, 18, "complete", 0.5, 0.5)
    assert best_trial(spec, [small]) is None  # a small-rung trial is never the best
    assert best_trial(spec, [small, full]).number == 2


def test_values_never_render_as_minus_zero_or_python_none():
    from pipec.optimizers.objective import bounds
    from pipec.optimizers.report import short

    assert short(-0.0) == "0" and short(-1e-9) != "-0" and short(-0.00001) == "-1e-05"
    assert short([None, 1]) == "[null, 1]" and short(None) == "null"
    assert bounds(None, 0.05) == "not <= 0.05" and bounds(0.5, None) == "not >= 0.5"
    assert "None" not in bounds(None, 1.0) + bounds(1.0, None)


def test_out_rewrites_a_current_directory_relative_set_path(tmp_path, capsys, monkeypatch):
    data = tmp_path / "work" / "data.txt"
    data.parent.mkdir()
    data.write_text("x")
    graph = write_graph(tmp_path / "work", {"space": {"kind": ["a", "b"]}, "trials": 2},
                        params={"prompt": "${prompt_file}"})
    text = graph.read_text().replace("params:\n", "params:\n  prompt_file: nothing\n", 1)
    graph.write_text(text)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "elsewhere" / "best.yaml"
    out.parent.mkdir()
    code = main(["tune", str(graph), "--store", str(tmp_path / "s"), "--set", "prompt_file=work/data.txt",
                 "--out", str(out), "-q"])
    assert code == 0, capsys.readouterr().err
    written = yaml.safe_load(out.read_text())["params"]["prompt_file"]
    assert (out.parent / written).resolve() == data.resolve(), written
    assert os.path.relpath(data, out.parent) == written


def test_a_study_stops_after_consecutive_failures_with_the_same_error(tmp_path, capsys):
    graph = write_graph(tmp_path, {"space": {"x": [0.7, 0.8, 0.9, 1.0], "kind": ["a", "b", "c"]},
                                   "strategy": "grid", "max_consecutive_failures": 3},
                        params={"fail_above_x": -0.5})
    code = main(["tune", str(graph), "--store", str(tmp_path / "s"), "--json", "-q"])
    err = capsys.readouterr()
    data = json.loads(err.out)
    assert code == 1 and data["stop_reason"] == "failing" and len(data["trials"]) == 4  # baseline + 3 alike
    assert "3 trials in a row failed with the same error" in err.err


@pytest.mark.slow
def test_validation_split_in_a_real_rag_study(tmp_path, capsys):
    """The example's data, split 50/50: trials see the tuning questions only, validation the others."""
    from pipec.compiler.store import Store
    from pipec.optimizers.records import node_items

    graph = tmp_path / "g.yaml"
    spec = yaml.safe_load((Path(__file__).resolve().parents[2] / "examples/rag/tune.yaml").read_text())
    spec["params"].update({"data_dir": str(EXAMPLE_DATA), "embedder": "hashing", "retriever": "bm25"})
    spec["tune"].update({"validation": {"fraction": 0.5, "seed": 3}, "trials": 3,
                         "space": {"top_k": [5, 1], "retriever": ["bm25", "dense"], "embedder": ["hashing"]}})
    graph.write_text(yaml.safe_dump(spec, sort_keys=False))
    store_dir = tmp_path / "s"
    assert main(["tune", str(graph), "--store", str(store_dir), "--json", "-q", "--study", "v"]) == 0
    data = json.loads(capsys.readouterr().out)
    validation = data["validation"]
    assert validation["split"] == {"kind": "split", "fraction": 0.5, "seed": 3, "by": None, "set": None}
    store = Store(store_dir)
    tuning_ids = {r["id"] for r in node_items(store, data["trials"][0]["run_id"] if "run_id" in data["trials"][0]
                                              else _run_id(store, "v", 0), "retrieval_metrics")}
    held = next(r for r in validation["runs"] if r["role"] == "default")
    held_ids = {r["id"] for r in node_items(store, held["run_id"], "retrieval_metrics")}
    store.close()
    assert tuning_ids and held_ids and not tuning_ids & held_ids and len(tuning_ids | held_ids) == 28
    recall = validation["objectives"][0]
    assert recall["tuning"]["items"] == len(tuning_ids) and recall["validation"]["items"] == len(held_ids)
    if validation["best_trial"] == 0:  # the default won: identical items, an interval of exactly [0, 0]
        assert recall["tuning"]["interval"] == [0.0, 0.0] and recall["tuning"]["within_noise"]
    # --validate on the finished study runs no trial and gives the same result
    assert main(["tune", str(graph), "--store", str(store_dir), "--study", "v", "--validate", "--json", "-q"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert len(again["trials"]) == len(data["trials"])
    assert again["validation"]["objectives"] == validation["objectives"]


def _run_id(store, study: str, number: int) -> str:
    from pipec.optimizers.records import StudyRecords

    records = StudyRecords(store)
    return next(t["run_id"] for t in records.trials(records.find(study)["id"]) if t["number"] == number)


def test_a_hosted_model_without_its_key_is_refused_before_the_first_trial(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    graph = write_graph(tmp_path, {"space": GRID_SPACE}, params={"prompt": "Answer."})
    text = graph.read_text().replace("nodes:\n", "nodes:\n  gen:\n    op: embed.model\n    params: {model: "
                                     "openai/text-embedding-3-small}\n", 1)
    graph.write_text(text)
    store = tmp_path / "s"
    code = main(["tune", str(graph), "--store", str(store), "--study", "k"])
    err = capsys.readouterr().err
    assert code == 2 and "OPENAI_API_KEY" in err and "not set" in err and "trials would fail" in err
    assert not store.exists() or main(["studies", "--store", str(store), "--json"]) == 0


def test_out_keeps_a_set_path_over_the_graphs_own_rebased_path(tmp_path, capsys, monkeypatch):
    work, other = tmp_path / "work", tmp_path / "other"
    (work / "data").mkdir(parents=True)
    other.mkdir()
    graph = write_graph(work, {"space": {"kind": ["a", "b"]}, "trials": 2}, params={"prompt": "${prompt_file}"})
    graph.write_text(graph.read_text().replace("params:\n", "params:\n  prompt_file: data\n", 1))
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "elsewhere" / "best.yaml"
    out.parent.mkdir()
    assert main(["tune", str(graph), "--store", str(tmp_path / "s"), "--set", "prompt_file=other",
                 "--out", str(out), "-q"]) == 0, capsys.readouterr().err
    written = yaml.safe_load(out.read_text())["params"]["prompt_file"]
    assert (out.parent / written).resolve() == other.resolve(), written  # the --set, not the graph's 'data'


def test_several_objectives_front_pick_and_out_front(tmp_path, capsys):
    objectives = [{"metric": "objective.score", "direction": "maximize"},
                  {"metric": "objective.loss", "direction": "maximize"}]  # in conflict: every point is on the front
    graph = write_graph(tmp_path, {"objective": None, "objectives": objectives,
                                   "space": {"x": [0.0, 0.3, 0.6], "kind": ["a", "b"]},
                                   "strategy": "grid", "pick": {"metric": "objective.score", "max_loss": 0.0}})
    out, folder = tmp_path / "best.yaml", tmp_path / "front"
    code = main(["tune", str(graph), "--store", str(tmp_path / "s"), "--json", "-q", "--out", str(out),
                 "--out-front", str(folder)])
    assert code == 0, capsys.readouterr().err
    data = json.loads(capsys.readouterr().out)
    front = data["front"]
    assert len(front) == 6 and all(set(p["values"]) == {"objective.score", "objective.loss"} for p in front)
    top = max(front, key=lambda p: p["values"]["objective.score"])
    assert data["best"]["number"] == top["number"]  # pick: the best score, no loss allowed
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"trial-{p['number']}.yaml" for p in front)
    assert yaml.safe_load(out.read_text())["params"]["x"] == 0.3
    bad = write_graph(tmp_path, {"objective": None, "objectives": objectives, "space": {"kind": ["a"]},
                                 "pick": {"metric": "objective.scor"}}, name="bad.yaml")
    assert main(["validate", str(bad)]) == 2
    assert "pick: 'objective.scor' is not one of the objectives" in capsys.readouterr().err
