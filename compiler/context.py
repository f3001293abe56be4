"""What an op sees while it runs: its node, paths relative to the YAML file, progress, per-item rows, the LLM
gateway. One `RunContext` per node execution; `Runtime` holds what the whole run shares."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .op import resolve_param_path

if TYPE_CHECKING:
    from .spec import Settings
    from .store import Store


@dataclass
class Runtime:
    """Shared by every node of one run."""

    run_id: str
    base_dir: Path
    store: Store | None
    settings: Settings
    use_llm_cache: bool = True
    on_progress: Callable[[str, int, int | None], None] | None = None
    on_warning: Callable[[str, str], None] | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)
    _gateway: Any = None
    _gateway_lock: threading.Lock = field(default_factory=threading.Lock)
    _caches: Any = None

    def gateway(self) -> Any:
        """The run's LLM gateway, created on first use (importing litellm is slow, so only when needed)."""
        with self._gateway_lock:
            if self._gateway is None:
                from .llm.gateway import Gateway

                self._gateway = Gateway(store=self.store, settings=self.settings.llm, run_id=self.run_id,
                                        use_cache=self.use_llm_cache)
            return self._gateway

    @property
    def started_gateway(self) -> Any:
        """The run's gateway if an op used one, else None (totals without creating a gateway)."""
        return self._gateway

    @property
    def cache(self) -> Any:
        """The caches ops share through the store (`cache.embeddings`: vectors by model and text key)."""
        with self._gateway_lock:
            if self._caches is None:
                from .store.embeddings import EmbeddingCache
                from .store.filehashes import FileHashCache
                from .store.lineage import LineageCache
                from .store.parts import PartCache

                self._caches = RunCaches(EmbeddingCache(self.store), PartCache(self.store),
                                         LineageCache(self.store), FileHashCache(self.store))
            return self._caches


@dataclass(frozen=True)
class RunCaches:
    """What `ctx.cache` holds: ops reach stored caches through it, never through the store."""

    embeddings: Any  # compiler.store.embeddings.EmbeddingCache
    parts: Any = None  # compiler.store.parts.PartCache: per-file results inside a node
    lineage: Any = None  # compiler.store.lineage.LineageCache: a node lineage's previous result (incremental ops)
    files: Any = None  # compiler.store.filehashes.FileHashCache: content hashes of files, reused by stat


class RunContext:
    """The `ctx` argument of `Op.run`."""

    PROGRESS_INTERVAL_S = 0.5

    def __init__(self, runtime: Runtime, node: str, cache_key: str = "", llm_cache: bool = True):
        self.runtime = runtime
        self.node = node
        self.cache_key = cache_key
        self.llm_cache = llm_cache
        self.items: list[tuple[int, str | None, str]] = []
        self.items_done = 0
        self.items_total: int | None = None
        self.log_lines: list[str] = []
        self.warnings: list[str] = []
        self.item_errors: dict[str, str] = {}  # item id -> why it failed (after the retries)
        self._last_progress_write = 0.0
        self._item_lock = threading.Lock()

    # --- paths ----------------------------------------------------------------------------------------------
    @property
    def base_dir(self) -> Path:
        return self.runtime.base_dir

    def resolve_path(self, value: str | Path) -> Path:
        """A path from a parameter: beside the pipeline YAML file, else relative to the current directory."""
        return resolve_param_path(self.runtime.base_dir, value)

    # --- reporting ------------------------------------------------------------------------------------------
    @property
    def run_id(self) -> str:
        return self.runtime.run_id

    @property
    def cancelled(self) -> bool:
        """True once the run is being stopped (Ctrl-C, budget): long loops should check it and return."""
        return self.runtime.cancelled.is_set()

    def progress(self, done: int, total: int | None = None) -> None:
        self.items_done = done
        if total is not None:
            self.items_total = total
        if self.runtime.on_progress:
            self.runtime.on_progress(self.node, done, self.items_total)
        now = time.monotonic()
        if self.runtime.store is not None and now - self._last_progress_write > self.PROGRESS_INTERVAL_S:
            self._last_progress_write = now
            self.runtime.store.update_node(self.run_id, self.node, items_done=done, items_total=self.items_total)

    def record_items(self, rows: list[dict[str, Any]], id_key: str = "id") -> None:
        """Per-example rows (question, hits, answer, gold, scores) that the TUI shows for this node's result."""
        start = len(self.items)
        for i, row in enumerate(rows):
            item_id = row.get(id_key)
            self.items.append((start + i, None if item_id is None else str(item_id),
                               json.dumps(row, default=str, ensure_ascii=False)))

    def log(self, message: str) -> None:
        self.log_lines.append(message)

    def warn(self, message: str) -> None:
        """Something the user should see although the node goes on (a skipped file, a fallback): shown by
        `pipe run` as it happens and listed in the node's result (`--json`)."""
        self.warnings.append(message)
        if self.runtime.on_warning:
            self.runtime.on_warning(self.node, message)

    def item_failed(self, item: Any, message: str) -> None:
        """One item failed after its retries (the gateway calls this for every LLM item error). The node goes
        on with its other items, but its result is not memoized, so the next run re-sends the failed ones.
        Raises TooManyItemErrors once more items failed than `settings.llm.max_item_errors` allows."""
        from .llm.errors import TooManyItemErrors
        from .llm.limits import allowed_item_errors

        with self._item_lock:
            self.item_errors[str(item)] = message
            failed = len(self.item_errors)
        limit = self.runtime.settings.llm.max_item_errors
        allowed = allowed_item_errors(limit, self.items_total)
        if allowed is not None and failed > allowed:
            raise TooManyItemErrors(self.item_error_summary(limit))

    def item_error_summary(self, limit: Any = None) -> str:
        with self._item_lock:
            errors = dict(self.item_errors)
        total = f" of {self.items_total}" if self.items_total is not None else ""
        first_id, first = next(iter(errors.items()))
        text = f"{len(errors)}{total} items failed"
        if limit is not None:
            shown = f"{limit:.0%}" if isinstance(limit, float) else str(limit)
            text += f", more than settings.llm.max_item_errors ({shown}) allows"
        return f"{text}; first: item {first_id}: {first}"

    # --- services -------------------------------------------------------------------------------------------
    @property
    def cache(self) -> RunCaches:
        """Stored caches shared by every node and run: `ctx.cache.embeddings.get(model, keys)` / `.put(...)`."""
        return self.runtime.cache

    @property
    def llm(self) -> Any:
        """The LLM gateway bound to this node (see compiler/llm/gateway.py)."""
        return self.runtime.gateway().bind(node=self.node, cache=self.llm_cache, ctx=self)
