"""The op contract, checked when an op class is defined, and the one hierarchy of value classes and port types."""

from __future__ import annotations

import importlib.util
import sys
from importlib.metadata import entry_points

import pytest
from pipec.compiler.compile import compile_text
from pipec.compiler.errors import PipeError
from pipec.compiler.op import In, Op, OpDefinitionError, Out
from pipec.compiler.port_types import check_item_hierarchy, item_class, port_type
from pipec.compiler.registry import Registry
from pipec.ops.data import Chunk, Document


def test_a_port_that_run_does_not_take_fails_at_import_naming_op_port_and_parameter(tmp_path):
    module = tmp_path / "badop_plugin.py"
    module.write_text(
        "from pipec.compiler.op import In, Op, Out\n"
        "class Bad(Op):\n"
        "    name = 'plugin.bad'\n"
        "    inputs = {'documents': In('Documents')}\n"
        "    outputs = {'chunks': Out('Chunks')}\n"
        "    def run(self, ctx, docs):\n"
        "        return {'chunks': docs}\n"
    )
    spec = importlib.util.spec_from_file_location("badop_plugin", module)
    with pytest.raises(OpDefinitionError) as info:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
    message = str(info.value)
    assert "plugin.bad" in message and "'documents'" in message and "'docs'" in message
    assert isinstance(info.value, PipeError)
    sys.modules.pop("badop_plugin", None)


def test_a_run_parameter_that_is_no_port_is_an_error():
    with pytest.raises(OpDefinitionError, match=r"op t\.extra .*run's parameter 'limit' is not an input port"):
        class Extra(Op):
            name = "t.extra"
            inputs = {"value": In("Any")}

            def run(self, ctx, value, limit=3):
                return {}


def test_an_optional_port_needs_a_default():
    with pytest.raises(OpDefinitionError, match="input port 'hint' is optional .* no default"):
        class Optional(Op):
            name = "t.optional"
            inputs = {"value": In("Any"), "hint": In("Text", required=False)}

            def run(self, ctx, value, hint):
                return {}


def test_run_must_take_the_context_first():
    with pytest.raises(OpDefinitionError, match="run must take the run context first"):
        class NoCtx(Op):
            name = "t.noctx"

            def run(self, **inputs):
                return {}


def test_kwargs_takes_any_port_and_version_defaults_to_1():
    class Open(Op):
        name = "t.open"
        inputs = {"a": In("Any"), "b": In("Any", required=False)}
        outputs = {"value": Out("Any")}

        def run(self, ctx, **inputs):
            return {"value": inputs}

    assert Open.version == "1"


def test_a_subclass_changing_only_inputs_is_checked_against_the_inherited_run():
    class Base(Op):
        name = "t.base"
        inputs = {"value": In("Any")}

        def run(self, ctx, value):
            return {}

    with pytest.raises(OpDefinitionError, match="input port 'values' is not a parameter of run"):
        class Renamed(Base):
            inputs = {"values": In("Any")}


def test_every_registered_op_keeps_the_contract():
    # Importing each entry point runs the check; a broken op would raise here, naming itself.
    loaded = [ep.load() for ep in entry_points(group="pipec.ops")]
    assert loaded and all(issubclass(cls, Op) for cls in loaded)
    assert not [cls for cls in loaded if "version" in cls.__dict__ and cls.version == "1"], \
        "version '1' is the default; do not restate it"


def test_value_classes_and_port_types_are_one_hierarchy():
    assert check_item_hierarchy() == []
    assert item_class("Chunks") is Chunk and item_class("Documents") is Document
    assert issubclass(Chunk, Document)
    chunk = Chunk("c1", "d1", "some text", start=2, end=6)
    assert isinstance(chunk, Document) and (chunk.id, chunk.doc_id, chunk.text, chunk.meta) == ("c1", "d1",
                                                                                               "some text", {})


def test_a_mismatched_item_class_is_reported():
    port_type("TestParents", parent="Records", item="pipec.ops.data:Question")
    port_type("TestChildren", parent="TestParents", item="pipec.ops.data:Document")
    assert any("TestChildren" in p and "Document does not subclass Question" in p for p in check_item_hierarchy())
    from pipec.compiler import port_types

    del port_types._TYPES["TestChildren"], port_types._TYPES["TestParents"]


def test_chunks_feed_a_documents_input():
    class MakeChunks(Op):
        name = "t.chunks"
        outputs = {"chunks": Out("Chunks")}

        def run(self, ctx):
            return {"chunks": [Chunk("c", "d", "t")]}

    class Count(Op):
        name = "t.count"
        inputs = {"documents": In("Documents")}
        outputs = {"n": Out("Number")}

        def run(self, ctx, documents):
            return {"n": sum(isinstance(d, Document) for d in documents)}

    registry = Registry(include_entry_points=False)
    registry.register(MakeChunks)
    registry.register(Count)
    graph = compile_text("nodes:\n  c: {op: t.chunks}\n  n: {op: t.count, inputs: {documents: c}}\n",
                         registry=registry)
    assert list(graph.nodes) == ["c", "n"]
