"""A jinja2 sandbox escape is refused at compile time with "unsafe template" and the node's name (and at render
time, should one get there); load.folder skips a dangling symlink with a warning naming it."""

from __future__ import annotations

import time

import pytest

from .helpers import assert_clean_error, pipe

GRAPH = """nodes:
  q: {{op: core.value, params: {{value: ["a", "b"]}}}}
  gen:
    op: llm.generate
    inputs: {{items: q}}
    params:
      model: fake/unsafe
      prompt: "{prompt}"
"""


@pytest.mark.parametrize("prompt, reads", [
    ("{{ item.__class__.__mro__[1].__subclasses__() }}", "'__subclasses__'"),
    ("{{ cycler.__init__.__globals__.os.popen('id').read() }}", "'__globals__'"),
    ("{{ item['__class__'] }}", "'__class__'"),
    ("{% for c in ''.__class__.mro() %}{{ c }}{% endfor %}", "'mro'"),
    ("{{ lipsum.__globals__['os'] }}", "'__globals__'"),
])
def test_a_sandbox_escape_is_an_unsafe_template_error_at_once(tmp_path, prompt, reads):
    path = tmp_path / "g.yaml"
    path.write_text(GRAPH.format(prompt=prompt.replace('"', '\\"')))
    t0 = time.perf_counter()
    result = pipe("validate", path)
    assert time.perf_counter() - t0 < 2.0
    assert_clean_error(result, path, 8, "node 'gen'", "unsafe template in parameter 'prompt'", reads)


def test_an_unsafe_template_file_is_refused_too(tmp_path):
    (tmp_path / "evil.j2").write_text("Hi {{ item.__class__ }}")
    path = tmp_path / "g.yaml"
    path.write_text(GRAPH.format(prompt="evil.j2"))
    assert_clean_error(pipe("validate", path), path, 8, "node 'gen'", "unsafe template", "'__class__'")


def test_an_ordinary_template_is_fine(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text(GRAPH.format(prompt="Q: {{ item }} {{ item | upper }} {% if index > 0 %}again{% endif %}"))
    assert pipe("validate", path).code == 0


def test_render_time_escape_says_unsafe_template():
    from pipec.compiler.llm.errors import TemplateError
    from pipec.compiler.llm.templates import PromptTemplate

    t = PromptTemplate("{{ item.mro() }}", name="prompt")  # a method name the compile-time check lets through
    with pytest.raises(TemplateError, match="unsafe template"):
        t.render(item=str)


def test_load_folder_skips_a_dangling_symlink_with_a_warning(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Alpha is the first letter.")
    (docs / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    path = tmp_path / "g.yaml"
    path.write_text("nodes:\n  docs: {op: load.folder, params: {path: docs}}\n")
    result = pipe("run", path, "--store", tmp_path / "st")
    assert result.code == 0, result.err
    assert "gone.txt" in result.err and "warning" in result.err.lower() and "Traceback" not in result.err
