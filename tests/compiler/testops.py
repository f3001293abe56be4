"""Ops used only by the compiler tests, registered programmatically (never through entry points)."""

from __future__ import annotations

import threading
import time
from collections import Counter

from pipec.compiler.op import In, Op, OpParams, Out, PathParam
from pipec.compiler.registry import Registry

CALLS: Counter = Counter()
_lock = threading.Lock()


def count(node: str) -> None:
    with _lock:
        CALLS[node] += 1


class Text(Op):
    """Emit a string."""

    name = "test.text"

    class Params(OpParams):
        text: str = "hello"

    outputs = {"text": Out("Text")}

    def run(self, ctx):
        count(ctx.node)
        return {"text": self.params.text}


class Counted(Op):
    """Sum of inputs plus `add`; counts its executions per node; optional delay."""

    name = "test.counted"

    class Params(OpParams):
        add: int = 0
        delay: float = 0.0

    inputs = {"values": In("Number", required=False, many=True)}
    outputs = {"value": Out("Number")}

    def run(self, ctx, values=()):
        count(ctx.node)
        if self.params.delay:
            time.sleep(self.params.delay)
        return {"value": sum(values) + self.params.add}


class MaybeFail(Op):
    """Fails when `fail` is true; counts executions."""

    name = "test.maybe_fail"

    class Params(OpParams):
        fail: bool = True

    inputs = {"value": In("Number", required=False)}
    outputs = {"value": Out("Number")}

    def run(self, ctx, value=0):
        count(ctx.node)
        if self.params.fail:
            raise ValueError("boom on purpose")
        return {"value": value}


class Scores(Op):
    """Emit metrics and per-item rows."""

    name = "test.scores"

    inputs = {"value": In("Number")}
    outputs = {"metrics": Out("Metrics")}

    def run(self, ctx, value):
        count(ctx.node)
        ctx.record_items([{"id": f"q{i}", "score": i * value} for i in range(3)])
        return {"metrics": {"score": float(value), "double": 2.0 * value}}


class BadOutputs(Op):
    """Returns the wrong output ports (an op bug the executor must report)."""

    name = "test.bad_outputs"
    outputs = {"value": Out("Number")}

    def run(self, ctx):
        return {"nope": 1}


class ReadFile(Op):
    """Read a text file (a PathParam: content-fingerprinted, relative to the YAML file)."""

    name = "test.read"

    class Params(OpParams):
        path: PathParam

    outputs = {"text": Out("Text")}

    def run(self, ctx):
        count(ctx.node)
        return {"text": ctx.resolve_path(self.params.path).read_text()}


def make_registry() -> Registry:
    registry = Registry()
    for cls in (Text, Counted, MaybeFail, Scores, BadOutputs, ReadFile):
        registry.register(cls)
    return registry
