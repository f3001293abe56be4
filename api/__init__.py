"""pipec's Python API: compile, run, tune and serve a pipeline YAML from Python (see docs/api.md).

    import pipec

    graph = pipec.load("examples/rag/serve.yaml", set={"top_k": 3})
    run = graph.run(store=".pipe", inputs={"question": "What does pipe tune do?"})
    print(run.status, run.outputs["answers"][0].text)

Every name is imported on first use, so `import pipec` costs nothing until one is needed. Errors a user can
cause raise `pipec.PipecError`, whose `diagnostics` are the ones `pipe validate` prints (file, line, column).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["load", "Graph", "Run", "tune", "Study", "open_store", "PipecError", "Diagnostic"]

_WHERE = {
    "load": "pipec.graph", "Graph": "pipec.graph", "Run": "pipec.graph", "open_store": "pipec.graph",
    "tune": "pipec.tuning", "Study": "pipec.tuning",
    "PipecError": "pipec.errors", "Diagnostic": "pipec.errors",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'pipec' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
