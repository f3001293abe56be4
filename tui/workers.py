"""Run a store read in a thread worker and post its result (or a clear problem) as a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pipec.compiler.errors import PipeError
from textual.dom import DOMNode

from .messages import Loaded, StoreProblem


def read_in_worker(node: DOMNode, what: str, read: Callable[[], Any], group: str | None = None) -> None:
    """Call `read()` in a thread; post `Loaded(what, result)` to `node`, or `StoreProblem` to the app.

    Workers of one group are exclusive: a newer read supersedes an older one that is still running.
    """

    def work() -> None:
        try:
            data = read()
        except PipeError as exc:
            node.app.post_message(StoreProblem(str(exc)))
            return
        node.post_message(Loaded(what, data))

    node.run_worker(work, thread=True, group=group or f"read-{what}", exclusive=True,
                    name=f"read {what}", exit_on_error=False)
