"""The store package: the one owner of everything pipec saves (schema, migrations, every query, artifacts).

`Store` is the SQLite implementation (sqlite.py); schema.py holds the migrations; artifacts.py the
content-addressed blobs of large node results. See docs/store.md.
"""

from .artifacts import ArtifactStore, decode_value, encode_value
from .schema import MIGRATIONS
from .sqlite import DEFAULT_STORE, INLINE_LIMIT, Store, _pid_alive

__all__ = ["DEFAULT_STORE", "INLINE_LIMIT", "MIGRATIONS", "ArtifactStore", "Store", "_pid_alive",
           "decode_value", "encode_value"]
