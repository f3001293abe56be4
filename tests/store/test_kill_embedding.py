"""kill -9 in the middle of a long embedding keeps the batches that finished: the embedding cache is written a
batch at a time as batches complete (ops/text/embedders.py SAVE_EVERY), not once at the end of the node."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from pipec.compiler.store import Store

TEXTS = 6000

SCRIPT = textwrap.dedent(f"""
    import asyncio, sys
    from types import SimpleNamespace
    from pipec.compiler.context import RunCaches
    from pipec.compiler.store import Store
    from pipec.compiler.store.embeddings import EmbeddingCache
    from pipec.ops.text.embedders import embed_texts, parse_embedder

    store = Store(sys.argv[1])
    ctx = SimpleNamespace(cache=RunCaches(EmbeddingCache(store)), cancelled=False, progress=lambda *a: None)
    texts = [f"passage number {{i}} about topic {{i % 97}}" for i in range({TEXTS})]
    asyncio.run(embed_texts(ctx, parse_embedder("minilm", batch_size=64), texts))
    print("finished", flush=True)
""")


@pytest.mark.slow
@pytest.mark.xdist_group("store-processes")
def test_kill_9_during_a_long_embedding_keeps_finished_batches(tmp_path):
    from pipec.ops.text.embedders import MINILM_NAME, SAVE_EVERY

    root = tmp_path / "store"
    Store(root).close()
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(root)], stdout=subprocess.PIPE, text=True)
    kept = 0
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            with Store(root) as store:
                kept = store.count_embeddings(MINILM_NAME)
            if kept >= SAVE_EVERY:
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the embedding finished before it could be killed (raise TEXTS)"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    with Store(root) as store:
        after = store.count_embeddings(MINILM_NAME)
    assert SAVE_EVERY <= kept <= after < TEXTS and after % SAVE_EVERY == 0  # whole batches, none lost
