"""Small general-purpose ops: constants, pass-through, fan-in, arithmetic, and test helpers (sleep, fail)."""

from __future__ import annotations

import time
from typing import Any

from pipec.compiler.op import In, Op, OpParams, Out
from pydantic import Field


class Value(Op):
    """Emit a constant value (handy for wiring parameters into a graph)."""

    name = "core.value"
    inline = True

    class Params(OpParams):
        value: Any = Field(None, description="the value to emit")

    outputs = {"value": Out("Any", "the value")}

    def run(self, ctx, **_):
        return {"value": self.params.value}


class Identity(Op):
    """Pass the input through unchanged."""

    name = "core.identity"
    inline = True
    inputs = {"value": In("Any")}
    outputs = {"value": Out("Any")}

    def run(self, ctx, value):
        return {"value": value}


class Add(Op):
    """Sum of the inputs plus a constant."""

    name = "core.add"
    inline = True

    class Params(OpParams):
        add: float = Field(0, description="constant added to the sum")

    inputs = {"values": In("Number", "numbers to add", required=False, many=True)}
    outputs = {"value": Out("Number")}

    def run(self, ctx, values=()):
        return {"value": sum(values) + self.params.add}


class Concat(Op):
    """Collect the inputs into one list (fan-in)."""

    name = "core.concat"
    inline = True
    inputs = {"values": In("Any", "values to collect, in order", many=True)}
    outputs = {"values": Out("Any", "the list of values")}

    def run(self, ctx, values):
        return {"values": list(values)}


class Sleep(Op):
    """Wait, then pass the input through (for testing concurrency and progress)."""

    name = "core.sleep"

    class Params(OpParams):
        seconds: float = Field(1.0, ge=0, description="how long to wait")
        steps: int = Field(10, ge=1, description="progress updates while waiting")

    inputs = {"value": In("Any", required=False)}
    outputs = {"value": Out("Any")}

    def run(self, ctx, value=None):
        for i in range(self.params.steps):
            if ctx.cancelled:
                break
            time.sleep(self.params.seconds / self.params.steps)
            ctx.progress(i + 1, self.params.steps)
        return {"value": value}


class Fail(Op):
    """Raise an error (for testing failure handling), unless `fail` is false."""

    name = "core.fail"

    class Params(OpParams):
        message: str = "this node fails on purpose"
        fail: bool = True

    inputs = {"value": In("Any", required=False)}
    outputs = {"value": Out("Any")}

    def run(self, ctx, value=None):
        if self.params.fail:
            raise RuntimeError(self.params.message)
        return {"value": value}
