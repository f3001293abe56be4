"""`pipe export` writes a graph that compiles to the same plan (same node keys), on every example, and edits the
user's file: comments, order and layout survive; only the values that differ change."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pipec.compiler.compile import compile_file
from pipec.compiler.context import Runtime
from pipec.compiler.executor import compute_keys
from pipec.compiler.inputs import bind_request

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (REPO / "examples").rglob("*.y*ml") if "\nnodes:" in p.read_text(encoding="utf-8"))


def node_keys(path: Path) -> dict[str, str]:
    graph = compile_file(path)
    runtime = Runtime(run_id="keys", base_dir=graph.base_dir, store=None, settings=graph.spec.settings)
    with bind_request("keys", {}):
        return compute_keys(graph, runtime)


def pipe(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipec.compiler.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_there_are_examples():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: str(p.relative_to(REPO / "examples")))
def test_export_compiles_to_the_same_node_keys(example, tmp_path):
    # beside a copy of the example (its prompt files and data keep their relative spelling, which some node
    # keys include: a prompt path is a parameter's text, not a content-fingerprinted path parameter)
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    copy = tmp_path / "examples" / example.relative_to(REPO / "examples")
    out = copy.with_name("resolved.yaml")
    done = pipe("export", str(copy), "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert node_keys(out) == node_keys(copy)
    # the file's own text survives: only a header would differ, and export adds none for a graph
    assert out.read_text(encoding="utf-8") == copy.read_text(encoding="utf-8")


def test_export_to_another_folder_rebases_path_parameters_with_the_same_keys(tmp_path):
    example = REPO / "examples" / "rag" / "offline.yaml"
    out = tmp_path / "elsewhere" / "resolved.yaml"
    done = pipe("export", str(example), "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert node_keys(out) == node_keys(example)


def test_export_keeps_comments_and_changes_only_what_differs(tmp_path):
    example = REPO / "examples" / "rag" / "offline.yaml"
    out = tmp_path / "best.yaml"
    done = pipe("export", str(example), "--set", "top_k=3", "--set", "retrieve.hops=2", "--out", str(out),
                cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    before, after = example.read_text().splitlines(), out.read_text().splitlines()
    assert len(before) == len(after)
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert [b.strip() for _, b in changed] == [
        f"data_dir: {Path('..') / (REPO / 'examples' / 'rag' / 'data').relative_to('/')}"
        if False else changed[0][1].strip(), "top_k: 3", 'params: {top_k: "${top_k}", hops: 2, per_doc: 1}']
    assert changed[0][0].strip() == "data_dir: data"  # rebased for the new folder, same directory
    assert (out.parent / changed[0][1].split(":", 1)[1].strip()).resolve() == (REPO / "examples/rag/data")
    assert "# tokens of the MiniLM tokenizer" in out.read_text()
    graph = compile_file(out)
    assert graph.nodes["retrieve"].params.top_k == 3 and graph.nodes["retrieve"].params.hops == 2


def test_export_of_a_run_gives_its_config(tmp_path):
    example = REPO / "examples" / "quickstart.yaml"
    assert pipe("run", str(example), "-q", "--set", "x=5", "--set", "delay=0", cwd=tmp_path).returncode == 0
    done = pipe("export", "last", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert {o["path"]: o["value"] for o in doc["overrides"]} == {"x": 5, "delay": 0}
    assert "# The smallest pipeline" in doc["yaml"] and "x: 5\n" in doc["yaml"]


TUNED = """# my tuned graph: this comment must survive pipe tune --out
pipeline: tune-out
params:
  x: 0.0          # the knob
  kind: a         # a | b
  questions: null
nodes:
  objective:
    op: tune.synthetic
    params: {x: "${x}", y: 0, kind: "${kind}", questions: "${questions}"}
tune:
  objective: objective.score
  space:
    kind: [a, b]
  strategy: grid
"""


def test_tune_out_edits_the_users_file(tmp_path):
    graph = tmp_path / "graph.yaml"
    graph.write_text(TUNED)
    out = tmp_path / "best.yaml"
    done = pipe("tune", str(graph), "--store", str(tmp_path / "st"), "--out", str(out), "-q", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = out.read_text()
    assert written.startswith("# ") and "study" in written.splitlines()[0]  # a header, then the user's file
    assert "# my tuned graph: this comment must survive pipe tune --out" in written
    assert "  x: 0.0          # the knob\n" in written and "  kind: b         # a | b\n" in written
    assert written.endswith(TUNED.split("params:", 1)[1].replace("kind: a ", "kind: b "))


def test_export_adds_a_missing_parameter_in_place(tmp_path):
    example = REPO / "examples" / "rag" / "offline.yaml"
    done = pipe("export", str(example), "--set", "retrieve.drop_seed_title=true", "--set", "read.max_words=7",
                cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    before, after = example.read_text().splitlines(), done.stdout.splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert [b.strip() for _, b in changed] == [
        'params: {top_k: "${top_k}", hops: "${hops}", per_doc: 1, drop_seed_title: true}',
        'params: {chunks: "${reader_chunks}", max_words: 7}']
    block = tmp_path / "block.yaml"
    block.write_text("nodes:\n  v:\n    op: core.sleep\n    params:\n      seconds: 0   # none\n")
    done = pipe("export", str(block), "--set", "v.steps=3", cwd=tmp_path)
    assert done.stdout == "nodes:\n  v:\n    op: core.sleep\n    params:\n      seconds: 0   # none\n      steps: 3\n"
