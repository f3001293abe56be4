"""The storage interface: what pipec needs from a store, narrow enough for a second implementation.

`Store` (SQLite, sqlite.py) implements it; tests/store/conformance.py is the suite any implementation runs
(a shared backend such as PostgreSQL would pass the same tests; docs/store.md says when one would be needed).
Raw SQL access (`Store.query`) is not part of it.

`WRITE_METHODS` names every method that changes the store, in the order a journal of them can be replayed
(a worker that may not write records these calls and the driver replays them on its store).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .records import (
    CachedResponse,
    CacheHit,
    LLMCall,
    LLMCallRecord,
    MetricRecord,
    NodeRunRecord,
    ProposalRecord,
    RunRecord,
    StudyRecord,
    StudySummary,
    TrialRecord,
)

if TYPE_CHECKING:  # annotations only: importing numpy would cost every `pipe run` ~0.1-0.3 s
    import numpy as np

    from .filehashes import FileEntry

WRITE_METHODS = (
    "create_run", "add_nodes", "update_node", "save_result", "save_encoded", "record_metrics", "finish_run",
    "reap_dead_runs", "log_llm_call", "put_llm_response", "put_embeddings", "create_study", "set_study_status",
    "reap_trials", "start_trial", "finish_trial", "add_proposal", "clear_cache", "put_file_hashes",
)


class StorageBase(ABC):
    """Every method a storage backend provides. Texts are redacted with `redact` before they are stored."""

    # --- secrets and lifetime -----------------------------------------------------------------------------
    @abstractmethod
    def add_secrets(self, secrets: dict[str, str]) -> None: ...

    @abstractmethod
    def redact(self, value: Any) -> Any: ...

    @abstractmethod
    def flush(self, due_only: bool = False) -> None:
        """Make every buffered write durable (due_only: only if the write-behind interval has passed)."""

    @abstractmethod
    def close(self) -> None: ...

    # --- runs and nodes -----------------------------------------------------------------------------------
    @abstractmethod
    def create_run(self, run_id: str, graph_name: str, graph_file: str, config: dict, nodes_total: int,
                   study_id: str | None = None, trial_number: int | None = None) -> None: ...

    @abstractmethod
    def finish_run(self, run_id: str, status: str, error: str | None = None, **totals: Any) -> None: ...

    @abstractmethod
    def reap_dead_runs(self) -> int: ...

    @abstractmethod
    def list_runs(self, limit: int = 50) -> list[RunRecord]: ...

    @abstractmethod
    def get_run(self, run_id: str) -> RunRecord | None: ...

    @abstractmethod
    def add_nodes(self, run_id: str, rows: list[tuple[str, str, str, str, str, bool]],
                  hits: dict[str, CacheHit] | None = None) -> None: ...

    @abstractmethod
    def update_node(self, run_id: str, node: str, **fields: Any) -> None: ...

    @abstractmethod
    def node_runs(self, run_id: str) -> list[NodeRunRecord]: ...

    @abstractmethod
    def node_cache_key(self, run_id: str, node: str) -> str | None: ...

    @abstractmethod
    def record_metrics(self, run_id: str, node: str, port: str, values: dict[str, Any]) -> None: ...

    @abstractmethod
    def run_metrics(self, run_id: str) -> list[MetricRecord]: ...

    # --- memoized results and items -----------------------------------------------------------------------
    @abstractmethod
    def cached_keys(self, keys: Iterable[str]) -> set[str]: ...

    @abstractmethod
    def cache_hits(self, keys: Iterable[str]) -> dict[str, CacheHit]: ...

    @abstractmethod
    def save_result(self, key: str, op: str, node: str, outputs: dict[str, Any], preview: str,
                    items: list[tuple[int, str | None, str]] | None = None) -> int: ...

    @abstractmethod
    def save_encoded(self, key: str, op: str, node: str, blob: bytes, preview: str,
                     items: list[tuple[int, str | None, str]] | None = None) -> int: ...

    @abstractmethod
    def load_result(self, key: str) -> dict[str, Any]: ...

    @abstractmethod
    def items(self, cache_key: str, offset: int = 0, limit: int = 200) -> list[dict[str, Any]]: ...

    @abstractmethod
    def clear_cache(self) -> int: ...

    # --- LLM calls and caches -----------------------------------------------------------------------------
    @abstractmethod
    def log_llm_call(self, call: LLMCall) -> None: ...

    @abstractmethod
    def llm_calls(self, run_id: str | None = None, node: str | None = None) -> list[LLMCallRecord]: ...

    @abstractmethod
    def get_llm_response(self, request_hash: str) -> CachedResponse | None: ...

    @abstractmethod
    def put_llm_response(self, request_hash: str, response: CachedResponse) -> None: ...

    @abstractmethod
    def get_embeddings(self, model: str, keys: list[str]) -> dict[str, np.ndarray]: ...

    @abstractmethod
    def put_embeddings(self, model: str, vectors: dict[str, np.ndarray]) -> None: ...

    @abstractmethod
    def file_hashes(self, paths: list[str]) -> dict[str, FileEntry]: ...

    @abstractmethod
    def put_file_hashes(self, entries: dict[str, FileEntry]) -> None: ...

    # --- studies ------------------------------------------------------------------------------------------
    @abstractmethod
    def create_study(self, name: str, graph_name: str, graph_file: str, strategy: str, objective: dict,
                     space: dict, settings: dict) -> str: ...

    @abstractmethod
    def find_study(self, name: str) -> StudyRecord | None: ...

    @abstractmethod
    def list_studies(self) -> list[StudySummary]: ...

    @abstractmethod
    def set_study_status(self, study_id: str, status: str, settings: dict | None = None) -> None: ...

    @abstractmethod
    def start_trial(self, study_id: str, number: int, config: dict, config_hash: str, budget: float | None,
                    run_id: str, note: str) -> None: ...

    @abstractmethod
    def finish_trial(self, study_id: str, number: int, state: str, value: float | None = None,
                     metrics: dict | None = None, cost_usd: float | None = None, llm_calls: int | None = None,
                     cache_hits: int | None = None, duration_s: float | None = None,
                     error: str | None = None) -> None: ...

    @abstractmethod
    def trials(self, study_id: str) -> list[TrialRecord]: ...

    @abstractmethod
    def reap_trials(self, study_id: str) -> int: ...

    @abstractmethod
    def add_proposal(self, study_id: str, outcome: str, reason: str, reply: str, config: dict | None,
                     trial_number: int | None) -> None: ...

    @abstractmethod
    def proposals(self, study_id: str) -> list[ProposalRecord]: ...
