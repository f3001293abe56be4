"""load.folder re-reads only the files that changed since the previous read of the same node lineage.

The previous read's documents and, per file, its content hash and where its documents are in that list, come
from `ctx.cache.lineage` (same op, node name, parameters and parser code: compiler/store/lineage.py). A file's
current content hash comes from `ctx.cache.files` (compiler/store/filehashes.py: by stat, without reading it,
with git's racy-clean rule). A file whose hash is unchanged gets its previous documents; the others are read and
parsed; a deleted file is simply not listed any more. The documents of a file are a function of its relative
path, its bytes, the options and the parser code, so the list equals a full parse (order, ids, metadata).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipec.ops.data import Document

from .incremental import lineage_cache, lineage_key


@dataclass
class FolderReuse:
    """What a folder read may reuse (`docs`, `spans`) and what it records for the next one (`memo`)."""

    files: Any  # compiler.store.filehashes.FileHashCache
    docs: list[Document] = field(default_factory=list)
    spans: dict[str, list] = field(default_factory=dict)  # rel -> [sha256, start, end] in `docs`
    memo: dict[str, list] = field(default_factory=dict)  # the same for this read
    unchanged: int = 0

    def hashes(self, paths: list[Any]) -> list[str | None]:
        """Current content hashes (None: cannot be read), mostly from the file-hash cache."""
        return self.files.content_hashes(paths)

    def lookup(self, rel: str, digest: str | None) -> list[Document] | None:
        """The previous documents of `rel` if its content is unchanged, else None."""
        span = self.spans.get(rel)
        if digest is None or span is None or span[0] != digest:
            return None
        self.unchanged += 1
        return self.docs[span[1]:span[2]]

    def note(self, rel: str, digest: str, start: int, end: int) -> None:
        self.memo[rel] = [digest, start, end]


def folder_reuse(ctx: Any, op: Any, code: str) -> FolderReuse | None:
    """The reuse of this node lineage's previous read; None outside a run with a store, or when the node's output
    is a subset of the folder (limit, sample, offset), which would not hold every file's documents."""
    lineage = lineage_cache(ctx)
    files = getattr(getattr(ctx, "cache", None), "files", None)
    p = op.params
    if lineage is None or files is None or p.limit is not None or p.sample is not None or p.offset:
        return None
    reuse = FolderReuse(files)
    previous = lineage.previous(_key(ctx, op, code))
    if previous is not None and isinstance(previous.memo, dict):
        docs = previous.outputs.get("documents")
        if isinstance(docs, list):
            reuse.docs, reuse.spans = docs, previous.memo
    return reuse


def record_reuse(ctx: Any, op: Any, code: str, reuse: FolderReuse | None) -> None:
    if reuse is not None:
        lineage_cache(ctx).record(_key(ctx, op, code), getattr(ctx, "node", ""), getattr(ctx, "cache_key", ""),
                                  reuse.memo)


def _key(ctx: Any, op: Any, code: str) -> str:
    return lineage_key(op, getattr(ctx, "node", ""), code)
