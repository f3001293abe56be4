"""Shared helpers of the retrieval benchmarks: a minimal op context with a run store (for the embedding cache),
data loading through the project's own loaders, and table printing."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("PIPEC_SHARED_DATA", REPO.parent / "shared" / "data"))


def bench_context(store_dir: Path | None):
    """What the ops' helpers need from `ctx`: the store (embedding cache) and a progress callback."""
    from pipec.compiler.store import Store

    store = Store(store_dir) if store_dir else None
    return SimpleNamespace(runtime=SimpleNamespace(store=store), progress=lambda *a, **k: None)


def load(name: str):
    from pipec.ops.text.loaders import read_dataset

    folder = SHARED_DATA / name
    if not folder.is_dir():
        print(f"skipped {name}: no data at {folder} (set PIPEC_SHARED_DATA)", file=sys.stderr)
        return None
    return read_dataset(folder)


def print_table(title: str, header: list[str], rows: list[list]) -> None:
    cells = [[str(h) for h in header]] + [[f"{c:.3f}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    for n, r in enumerate(cells):
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    sys.stdout.flush()
