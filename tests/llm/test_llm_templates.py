"""Prompt templates: inline or file, sandboxed, strict; missing variables are compile errors."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from pipec.compiler.errors import CompileError
from pipec.compiler.llm.errors import TemplateError
from pipec.compiler.llm.templates import PromptTemplate, check_template, is_file_reference


def test_variables_and_render():
    t = PromptTemplate("Q: {{ item.question }} ({{ n }}){% for h in item.hits %} {{ h }}{% endfor %}")
    assert t.variables() == {"item", "n"}
    assert t.render(item={"question": "why?", "hits": ["a", "b"]}, n=2) == "Q: why? (2) a b"


def test_missing_variable_and_field_name_the_template():
    with pytest.raises(TemplateError, match=r"template 'prompt' \(inline\): variable 'n' is undefined"):
        PromptTemplate("{{ n }}").render()
    with pytest.raises(TemplateError, match="has no field 'qestion'"):
        PromptTemplate("{{ item.qestion }}").render(item={"question": "q"})


def test_sandbox_blocks_unsafe_access():
    with pytest.raises(TemplateError, match="sandbox"):
        PromptTemplate("{{ item.__class__.__mro__ }}").render(item="x")


def test_file_templates_are_relative_to_the_yaml(tmp_path):
    (tmp_path / "p.j2").write_text("Hello {{ item }}")
    assert is_file_reference("p.j2") and is_file_reference("file:prompts/x") and not is_file_reference("Hi {{ x }}")
    t = PromptTemplate("p.j2", tmp_path)
    assert t.render(item="you") == "Hello you" and t.variables() == {"item"}
    problems = check_template("nope.j2", tmp_path, ["item"], "prompt")
    assert problems and "file not found" in problems[0][1]


def test_syntax_error_is_reported():
    (problem,) = check_template("{{ item.x ", None, ["item"], "prompt")
    assert problem[0] == "prompt" and "syntax error on line 1" in problem[1]


GRAPH = """\
pipeline: t
nodes:
  q:
    op: core.value
    params: {value: [{id: a, question: hi}]}
  answer:
    op: llm.generate
    inputs: {items: q}
    params:
      model: fake/x
      prompt: "Answer {{ item.question }} in {{ stlye }}"
      vars: {style: haiku}
"""


def test_compile_error_names_template_and_variable(tmp_path):
    from pipec.compiler.compile import compile_text

    with pytest.raises(CompileError) as err:
        compile_text(GRAPH, "g.yaml", tmp_path)
    text = err.value.format()
    assert "node 'answer': template 'prompt' (inline) uses undefined variable 'stlye'" in text
    assert "available variables: context, index, item, style" in text
    assert "g.yaml:11" in text  # points at the prompt parameter


def test_pipe_validate_exits_2_and_does_not_import_litellm(tmp_path):
    (tmp_path / "g.yaml").write_text(GRAPH)
    proc = subprocess.run([sys.executable, "-m", "pipec.compiler.cli", "validate", str(tmp_path / "g.yaml")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "uses undefined variable 'stlye'" in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr
    fixed = GRAPH.replace("stlye", "style")
    code = textwrap.dedent(f"""
        import sys
        from pipec.compiler.compile import compile_text
        compile_text({fixed!r}, "g.yaml", ".")
        assert "litellm" not in sys.modules, "compiling an LLM graph imported litellm"
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
