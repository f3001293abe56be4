"""Every broken graph file the YAML front end refuses: exit 2, the file, the line and the words of the fix."""

from __future__ import annotations

import gzip
import time

import pytest
from pipec.compiler.compile import compile_text
from pipec.compiler.errors import CompileError
from pipec.compiler.yaml_source import parse_yaml_text

from .helpers import assert_clean_error, pipe, pipe_process

NODES = "nodes:\n  a: {op: core.value, params: {value: 1}}\n"


def bomb(levels: int) -> str:
    lines = ["params:", "  l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]")
    return "\n".join(lines) + "\n" + NODES


# name -> (bytes of the file, line of the error, words the message must contain)
CASES: dict[str, tuple[bytes, int, tuple[str, ...]]] = {
    "empty": (b"", 1, ("the file is empty",)),
    "comments_only": (b"# a graph\n# to be written\n", 1, ("the file is empty", "nodes:")),
    "latin1": ("params: {x: 1}\nnodes:\n  a: {op: core.value, params: {value: caf\xe9}}\n".encode("latin-1"), 3,
               ("not UTF-8", "byte 0xe9 at byte offset 63", "save it as UTF-8")),
    "utf16_bom": (NODES.encode("utf-16"), 1, ("UTF-16", "byte-order mark", "save it as UTF-8")),
    "utf32_bom": (NODES.encode("utf-32"), 1, ("UTF-32", "save it as UTF-8")),
    "gzip": (gzip.compress(NODES.encode()), 1, ("gzip file", "not a YAML text file")),
    "executable": (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)), 1, ("executable",)),
    "nul_byte": (b"params: {x: 1}\nnodes:\n  a: {op: core.value,\x00 params: {value: 1}}\n", 3,
                 ("NUL byte at byte offset 43", "binary")),
    "control_char": (b"params: {x: 1}\n" + b"nodes:\n  a: {op: core.value, params: {value: \x1b[0m}}\n", 3,
                     ("control character U+001B",)),
    "top_list": (b"- a\n- b\n", 1, ("must be a mapping", "not a list")),
    "top_scalar": (b"hello\n", 1, ("must be a mapping", "single value")),
    "params_list": (b"params: [1, 2]\n" + NODES.encode(), 1, ("'params'", "valid dictionary")),
    "params_scalar": (b"description: x\nparams: 3\n" + NODES.encode(), 2, ("'params'", "valid dictionary")),
    "nodes_list": (b"params: {}\nnodes: [a, b]\n", 2, ("'nodes' must be a non-empty mapping",)),
    "nodes_scalar": (b"nodes: 3\n", 1, ("'nodes' must be a non-empty mapping",)),
    "settings_list": (b"settings: [1]\n" + NODES.encode(), 1, ("'settings'", "valid dictionary")),
    "settings_scalar": (b"settings: fast\n" + NODES.encode(), 1, ("'settings'", "valid dictionary")),
    "tune_list": (NODES.encode() + b"tune: [1]\n", 3, ("'tune'", "valid dictionary")),
    "tune_scalar": (NODES.encode() + b"tune: 5\n", 3, ("'tune'", "valid dictionary")),
    "python_tag_scalar": (b"params:\n  x: !!python/object/apply:os.system ['touch pwned']\n" + NODES.encode(), 2,
                          ("tag '!!python/object/apply:os.system' is not allowed", "plain YAML values")),
    "python_tag_name": (b"params:\n  x: !!python/name:os.system\n" + NODES.encode(), 2,
                        ("tag '!!python/name:os.system' is not allowed",)),
    "python_tag_mapping": (b"params:\n  x: !!python/object:os.path {a: 1}\n" + NODES.encode(), 2,
                           ("tag '!!python/object:os.path' is not allowed",)),
    "python_tag_sequence": (b"params:\n\n  x: !!python/tuple [1, 2]\n" + NODES.encode(), 3,
                            ("tag '!!python/tuple' is not allowed",)),
    "custom_tag": (b"params: {x: !secret abc}\n" + NODES.encode(), 1, ("tag '!secret' is not allowed",)),
    "set_tag": (b"params: {x: !!set {a, b}}\n" + NODES.encode(), 1, ("tag '!!set' is not allowed",)),
    "binary_tag": (b"params: {x: !!binary '@@not base64@@'}\n" + NODES.encode(), 1, ("tag '!!binary'",)),
    "int_tag_on_text": (b"params:\n  x: !!int abc\n" + NODES.encode(), 2, ("'abc' is not an integer", "!!int")),
    "float_tag_on_text": (b"params: {x: !!float abc}\n" + NODES.encode(), 1, ("'abc' is not a number",)),
    "bool_tag_on_text": (b"params: {x: !!bool maybe}\n" + NODES.encode(), 1, ("'maybe' is not true or false",)),
    "str_tag_on_list": (b"params: {x: !!str [1]}\n" + NODES.encode(), 1, ("tag '!!str' is not allowed",)),
    "merge_key": (b"params:\n  a: &a {x: 1}\n  b: {<<: *a}\n" + NODES.encode(), 3, ("merge keys ('<<')",)),
    "recursive_alias": (b"params:\n  a: &a [1, *a]\n" + NODES.encode(), 2, ("recursive alias '*a'",)),
    "undefined_alias": (b"params:\n  a: *nowhere\n" + NODES.encode(), 2, ("alias '*nowhere'",)),
    "alias_bomb": (bomb(9).encode(), 7, ("expands to more than 250,000 values", "PIPEC_YAML_MAX_NODES")),
    "deep_lists": (b"params:\n  x: " + b"[" * 5000 + b"]" * 5000 + b"\n" + NODES.encode(), 2,
                   ("nested too deeply", "PIPEC_YAML_MAX_DEPTH")),
    "deep_mappings": (b"params:\n  x: " + b"{a: " * 3000 + b"1" + b"}" * 3000 + b"\n" + NODES.encode(), 2,
                      ("nested too deeply",)),
    "deep_block_mappings": (b"params:\n" + b"".join(b"  " * i + b"k:\n" for i in range(1, 300)) + NODES.encode(),
                            101, ("nested too deeply",)),
    "list_as_key": (b"params: {x: 1}\n? [a]\n: 1\n" + NODES.encode(), 2, ("mapping key must be a plain value",)),
    "two_documents": (NODES.encode() + b"---\n" + NODES.encode(), 3, ("more than one YAML document",)),
    "nested_reference": (b"params:\n  x: 1\n  y: '${${x}}'\n" + NODES.encode(), 3, ("nested reference",)),
    "nested_reference_in_node": (b"params: {x: 1}\nnodes:\n  a: {op: core.value, params: {value: 'a ${b${x}}'}}\n",
                                 3, ("nested reference", "node 'a'")),
    "unterminated_reference": (b"params:\n  x: 1\n  y: 'v${x'\n" + NODES.encode(), 3, ("unterminated reference",)),
    "syntax_error": (b"params: {x: 1\nnodes:\n  a: [\n", 2, ("YAML syntax error",)),
    "bad_indentation": (b"nodes:\n  a:\n    op: core.value\n   params: {}\n", 4, ("YAML syntax error",)),
    "huge_integer": (b"params: {x: " + b"9" * 5000 + b"}\n" + NODES.encode(), 1, ("is not an integer",)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_broken_file_is_refused_with_file_line_and_fix(name, tmp_path):
    data, line, words = CASES[name]
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(data)
    t0 = time.perf_counter()
    result = pipe("validate", path)
    assert time.perf_counter() - t0 < 2.0
    assert_clean_error(result, path, line, *words)


def test_a_tag_is_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "g.yaml"
    path.write_text(f"params:\n  x: !!python/object/apply:os.system ['touch {marker}']\n" + NODES)
    assert_clean_error(pipe("validate", path), path, 2, "is not allowed")
    assert not marker.exists()


def test_a_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + NODES.encode())
    assert pipe("validate", path).code == 0


def test_plain_values_and_dates_stay_plain():
    src = parse_yaml_text("a: 1\nb: 2.5\nc: yes\nd: ~\ne: 2024-01-01\nf: '007'\ng: !!str 12\nh: !!float 3\n"
                          "i: &i [1, {j: 2}]\nk: *i\n", "g.yaml")
    assert src.data == {"a": 1, "b": 2.5, "c": True, "d": None, "e": "2024-01-01", "f": "007", "g": "12",
                        "h": 3.0, "i": [1, {"j": 2}], "k": [1, {"j": 2}]}
    assert src.data["k"] is not src.data["i"]  # an alias is a copy: --set on one never changes the other
    assert src.loc("i", 1, "j").line == 9 and src.key_loc("k").line == 10


def test_duplicate_keys_keep_the_first_value_and_are_reported():
    with pytest.raises(CompileError) as info:
        compile_text("params: {x: 1}\nparams: {x: 2}\n" + NODES, "g.yaml")
    (d,) = info.value.diagnostics
    assert d.message == "duplicate key 'params'" and d.location.line == 2 and "line 1" in d.fix


def test_the_limits_are_settings(tmp_path, monkeypatch):
    path = tmp_path / "g.yaml"
    path.write_text("params:\n  x: [[[[1]]]]\n" + NODES)
    monkeypatch.setenv("PIPEC_YAML_MAX_DEPTH", "3")
    assert_clean_error(pipe("validate", path), path, 2, "more than 3 levels")
    monkeypatch.delenv("PIPEC_YAML_MAX_DEPTH")
    monkeypatch.setenv("PIPEC_YAML_MAX_NODES", "5")
    assert_clean_error(pipe("validate", path), path, None, "more than 5 values")
    monkeypatch.delenv("PIPEC_YAML_MAX_NODES")
    monkeypatch.setenv("PIPEC_YAML_MAX_MB", "0.00001")
    assert_clean_error(pipe("validate", path), path, 1, "graph files are limited to", "PIPEC_YAML_MAX_MB")


def test_a_large_file_is_refused_at_once_with_its_size_and_the_limit(tmp_path):
    path = tmp_path / "big.yaml"
    with path.open("w") as f:
        f.write("params:\n  docs:\n")
        row = "    - 'a document with some text in it, long enough to make the file big'\n"
        f.write(row * (9 * 1024 * 1024 // len(row)))
        f.write(NODES)
    t0 = time.perf_counter()
    result = pipe("validate", path)
    assert time.perf_counter() - t0 < 2.0
    assert_clean_error(result, path, 1, "the file is 9.0 MB", "limited to 8 MB", "PIPEC_YAML_MAX_MB")


@pytest.mark.slow
def test_a_large_file_under_the_limit_validates_in_seconds(tmp_path):
    path = tmp_path / "big.yaml"
    with path.open("w") as f:
        f.write("params:\n  docs:\n")
        f.writelines(f"    - 'document {i}: a text long enough to make the file big, about 7 MB'\n"
                     for i in range(100_000))
        f.write(NODES)
    t0 = time.perf_counter()
    result = pipe_process("validate", path)
    assert result.code == 0, result.err
    assert time.perf_counter() - t0 < 15  # measured ~2.5 s on a loaded 2-core machine; see bench note in docs


def test_folder_and_missing_file(tmp_path):
    assert_clean_error(pipe("validate", tmp_path), None, None, "is a folder")
    assert_clean_error(pipe("validate", tmp_path / "nope.yaml"), None, None, "no such file")


def test_a_real_process_refuses_a_binary_file_without_a_traceback(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_bytes(NODES.encode("utf-16"))
    assert_clean_error(pipe_process("validate", path), path, 1, "save it as UTF-8")
