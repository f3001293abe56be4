"""YAML -> spec -> YAML round trip, interpolation rules, and the run store's schema handling."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import yaml
from pipec.compiler.errors import StoreError
from pipec.compiler.interpolate import Resolver, parse_override, redact, resolve_params
from pipec.compiler.spec import PipelineSpec, spec_to_yaml
from pipec.compiler.store import Store
from pipec.compiler.store_schema import MIGRATIONS

REPO = Path(__file__).resolve().parents[2]
GRAPHS = [REPO / "examples" / "quickstart.yaml", Path(__file__).parent / "graphs" / "valid" / "diamond.yaml"]


@pytest.mark.parametrize("path", GRAPHS, ids=[p.stem for p in GRAPHS])
def test_yaml_spec_yaml_round_trip(path):
    spec = PipelineSpec.model_validate(yaml.safe_load(path.read_text()))
    text = spec_to_yaml(spec)
    again = PipelineSpec.model_validate(yaml.safe_load(text))
    assert again == spec
    assert spec_to_yaml(again) == text


def test_whole_reference_keeps_type_and_embedded_reference_formats():
    r = Resolver(params={"n": 3, "xs": [1, 2], "name": "a"}, env={})
    assert r.resolve("${n}") == 3
    assert r.resolve("k=${n}, xs=${xs}, ${name}") == "k=3, xs=[1, 2], a"
    assert r.resolve("$${n}") == "${n}"
    assert r.resolve({"a": ["${n}"]}) == {"a": [3]}


def test_params_referring_to_params_and_cycles():
    resolver, errors = resolve_params({"a": "${b}-x", "b": 2, "c": "${d}", "d": "${c}"}, env={})
    assert resolver.params["a"] == "2-x"
    assert sorted(name for name, _ in errors) == ["c", "d"]


def test_env_secret_display_form_and_redaction():
    r = Resolver(params={}, env={"TOKEN": "abc123"})
    assert r.resolve("Bearer ${env:TOKEN}") == "Bearer abc123"
    assert r.resolve("Bearer ${env:TOKEN}", reveal=False) == "Bearer ${env:TOKEN}"
    assert redact({"h": ["x abc123 y"]}, r.secrets) == {"h": ["x ${env:TOKEN} y"]}


def test_parse_override_reads_yaml_scalars():
    assert parse_override("retrieve.top_k=8") == (["retrieve", "top_k"], 8)
    assert parse_override("flag=true") == (["flag"], True)
    assert parse_override("names=[a, b]") == (["names"], ["a", "b"])
    assert parse_override("text=hello world") == (["text"], "hello world")
    with pytest.raises(ValueError):
        parse_override("novalue")


def test_store_migrates_and_rejects_newer_schema(tmp_path):
    store = Store(tmp_path / "s")
    assert store.schema_version == len(MIGRATIONS)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()
    db = sqlite3.connect(tmp_path / "s" / "store.db")
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer than this pipec"):
        Store(tmp_path / "s")


def test_readonly_store_needs_an_existing_store(tmp_path):
    with pytest.raises(StoreError, match="no run store"):
        Store(tmp_path / "none", readonly=True)


def test_large_results_go_to_content_addressed_files(store):
    big = {"value": b"x" * 400_000}
    size = store.save_result("ab" + "0" * 62, "op", "node", big, "preview")
    assert size > 400_000
    assert (store.root / "artifacts" / "ab" / ("ab" + "0" * 62 + ".pkl")).exists()
    assert store.load_result("ab" + "0" * 62) == big
    small = {"value": 1}
    store.save_result("cd" + "0" * 62, "op", "node", small, "preview")
    assert not (store.root / "artifacts" / "cd").exists()
    assert store.load_result("cd" + "0" * 62) == small
