"""The store package: the one owner of everything pipec saves (schema, migrations, every query, artifacts).

- interface.py: the storage interface (`StorageBase`), what any backend provides; records.py: what reads return
- sqlite.py: `Store`, the SQLite implementation; connection.py: its connection, transactions and retries
- runs.py, llm.py, embeddings.py, studies.py: the queries, beside their tables; schema.py: the migrations
- readonly.py: the read-only view for listings and the TUI; artifacts.py: content-addressed blobs
See docs/store.md.
"""

from ..process_caches import clear_process_caches
from .artifacts import ArtifactStore, decode_value, encode_value
from .connection import StoreLocked
from .embeddings import EmbeddingCache, embedding_key
from .interface import WRITE_METHODS, StorageBase
from .process import process_alive
from .readonly import ReadOnlyStore, open_store_readonly
from .records import (
    CachedResponse,
    CacheHit,
    LLMCall,
    LLMCallRecord,
    MetricRecord,
    NodeRunRecord,
    Page,
    ProposalRecord,
    RunRecord,
    StudyRecord,
    StudySummary,
    TrialRecord,
)
from .runs import INLINE_LIMIT
from .schema import MIGRATIONS
from .sqlite import DEFAULT_STORE, Store

__all__ = [
    "DEFAULT_STORE", "INLINE_LIMIT", "MIGRATIONS", "WRITE_METHODS", "ArtifactStore", "CacheHit", "CachedResponse",
    "EmbeddingCache", "LLMCall", "LLMCallRecord", "MetricRecord", "NodeRunRecord", "Page", "ProposalRecord",
    "ReadOnlyStore", "RunRecord", "StorageBase", "Store", "StoreLocked", "StudyRecord", "StudySummary",
    "TrialRecord", "clear_process_caches", "decode_value", "embedding_key", "encode_value", "open_store_readonly",
    "process_alive",
]

