"""What an item-mapping op declares (the op side of sharding; compiler/sharding.py runs the shards): the
`MapsItems` mixin, and `ShardContext`, the `ctx` one shard's `map_items` gets. See docs/parallel.md."""

from __future__ import annotations

from typing import Any, ClassVar

from .context import RunContext


class MapsItems:
    """Mixin of ops that map over items (embedders, `llm.*`, `kg.build`, the reader)."""

    shard_input: ClassVar[str] = ""  # the input port holding the items
    shard_remote: ClassVar[bool] = False  # shards may run as Ray tasks (no LLM gateway, no run store needed)

    def prepare(self, ctx: Any, inputs: dict[str, Any]) -> tuple[list[Any], Any]:
        return list(inputs[self.shard_input]), None

    def shard_align(self, inputs: dict[str, Any]) -> int:
        """Shard sizes are a multiple of this (1: any size)."""
        return 1

    async def map_items(self, ctx: Any, items: list[Any], shared: Any, inputs: dict[str, Any]) -> Any:
        raise NotImplementedError  # pragma: no cover - every sharded op defines it

    def join_items(self, ctx: Any, items: list[Any], results: Any, shared: Any,
                   inputs: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError  # pragma: no cover

    async def run_mapped(self, ctx: Any, inputs: dict[str, Any]) -> dict[str, Any]:
        items, shared = self.prepare(ctx, inputs)
        results = await self.map_items(ctx, items, shared, inputs)
        return self.join_items(ctx, items, results, shared, inputs)


class ShardContext(RunContext):
    """The `ctx` of one shard: item errors, warnings and log lines go to the node's context; per-item progress
    inside a shard is not reported (the node's progress counts shards)."""

    def __init__(self, parent: RunContext | None, runtime: Any = None, node: str = "", cache_key: str = ""):
        if parent is not None:
            super().__init__(parent.runtime, parent.node, parent.cache_key, parent.llm_cache)
        else:
            super().__init__(runtime, node, cache_key)
        self.parent = parent

    def progress(self, done: int, total: int | None = None) -> None:
        return None

    def item_failed(self, item: Any, message: str) -> None:
        if self.parent is None:
            with self._item_lock:
                self.item_errors[str(item)] = message
            return
        self.parent.item_failed(item, message)

    def warn(self, message: str) -> None:
        if self.parent is not None:
            self.parent.warn(message)
        else:
            self.warnings.append(message)

    def log(self, message: str) -> None:
        (self.parent.log if self.parent is not None else self.log_lines.append)(message)
