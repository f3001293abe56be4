"""Prompt files outside the graph's folder are refused unless allowed; `pipe validate` lists every path outside
the graph's folder that the graph reads."""

from __future__ import annotations

import pytest

from .helpers import assert_clean_error, pipe

GRAPH = """pipeline: paths
settings: {settings}
nodes:
  gen:
    op: llm.generate
    params:
      model: fake/paths
      prompt: "{prompt}"
"""


@pytest.fixture(autouse=True)
def _no_allow_env(monkeypatch):
    monkeypatch.delenv("PIPEC_ALLOW_PATHS", raising=False)


def graph(tmp_path, prompt: str, settings: str = "{}"):
    folder = tmp_path / "graph"
    folder.mkdir(exist_ok=True)
    (folder / "inside.j2").write_text("Answer: {{ item }}")
    (tmp_path / "outside.j2").write_text("Secret: {{ item }}")
    path = folder / "g.yaml"
    path.write_text(GRAPH.format(prompt=prompt, settings=settings))
    return path


@pytest.mark.parametrize("prompt, shown", [
    ("file:/etc/hostname", "/etc/hostname"),
    ("file:~/.bashrc", ".bashrc"),
    ("file:../outside.j2", "outside.j2"),
    ("../outside.j2", "outside.j2"),
])
def test_a_prompt_file_outside_the_graphs_folder_is_refused(tmp_path, prompt, shown):
    path = graph(tmp_path, prompt)
    result = pipe("validate", path)
    assert_clean_error(result, path, 8, "node 'gen'", "parameter 'prompt'", shown,
                       "is outside the graph's folder", "settings: {allow_paths:", "--allow-path")


def test_a_prompt_file_inside_the_folder_is_fine(tmp_path):
    assert pipe("validate", graph(tmp_path, "inside.j2")).code == 0


def test_settings_allow_paths_allows_a_folder(tmp_path):
    result = pipe("validate", graph(tmp_path, "file:../outside.j2", settings="{allow_paths: [..]}"))
    assert result.code == 0, result.err
    assert "reads 1 path outside the graph's folder" in result.err and "outside.j2 (prompt)" in result.err


def test_allow_path_flag_allows_a_folder(tmp_path):
    result = pipe("validate", graph(tmp_path, "file:../outside.j2"), "--allow-path", tmp_path)
    assert result.code == 0, result.err
    assert f"node 'gen' prompt: {tmp_path.resolve() / 'outside.j2'} (prompt)" in result.err


def test_an_override_cannot_sneak_a_prompt_file_in(tmp_path):
    path = graph(tmp_path, "inside.j2")
    result = pipe("validate", path, "--set", "gen.prompt=file:/etc/hostname")
    assert_clean_error(result, path, None, "prompt file /etc/hostname is outside the graph's folder")


def test_validate_lists_data_paths_outside_the_folder(tmp_path):
    data = tmp_path / "docs"
    data.mkdir()
    (data / "a.txt").write_text("hello")
    folder = tmp_path / "graph"
    folder.mkdir()
    path = folder / "g.yaml"
    path.write_text(f"nodes:\n  docs: {{op: load.folder, params: {{path: '{data}'}}}}\n")
    result = pipe("validate", path)
    assert result.code == 0, result.err
    assert f"node 'docs' path: {data.resolve()} (data)" in result.err


def test_validate_json_lists_the_paths_outside_the_folder(tmp_path):
    import json

    result = pipe("validate", graph(tmp_path, "file:../outside.j2"), "--allow-path", tmp_path, "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["reads_outside"] == [{"node": "gen", "param": "prompt", "kind": "prompt",
                                      "path": str(tmp_path.resolve() / "outside.j2")}]
    assert data["warnings"] == []  # fake/ models need no key
