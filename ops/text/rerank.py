"""`rerank`: re-order each question's retrieved hits with a model that reads question and passage together.

Backends:
- `cross_encoder`: an ONNX cross-encoder (e.g. an ms-marco MiniLM model exported to ONNX) run with onnxruntime.
  `onnx:` is the model file, or the name of an installed package whose `model_path()` returns one (as the
  MiniLM embedder's package does). Inputs `input_ids`, `attention_mask` and (when the model has it)
  `token_type_ids`; the score is the first logit (the last one for two-class models). The tokenizer is
  `tokenizer.json` beside the model, else the shipped BERT uncased WordPiece vocabulary that MiniLM cross-encoders
  share.
- `llm`: the gateway (budgets, cache, call log apply): `pointwise` asks for a 0-10 relevance grade per passage,
  `listwise` for an ordering of all passages of a question in one call.
- `none`: hits pass through unchanged, so `pipe tune` can decide whether reranking pays.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import threading
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pipec.compiler.errors import PipeError, Problem
from pipec.compiler.op import In, Op, OpParams, Out, resolve_param_path
from pipec.ops.data import Hit, Retrieval
from pydantic import Field, model_validator

from .minilm import TOKENIZER_FILE

POINTWISE_PROMPT = """Rate how well the passage answers the question, from 0 (unrelated) to 10 (answers it fully).
Reply with the number only.

Question: {question}

Passage: {title}
{text}

Grade:"""

LISTWISE_PROMPT = """Rank the passages by how well they help answer the question, most useful first.
Reply with the passage numbers only, best first, like: [2] > [1] > [3]

Question: {question}

{passages}

Ranking:"""

_session_lock = threading.Lock()


class RerankParams(OpParams):
    backend: Literal["none", "cross_encoder", "llm"] = Field(
        "cross_encoder", description="none (pass through), cross_encoder (ONNX) or llm (through the gateway)")
    top_k: int | None = Field(None, ge=1, le=1000, description="hits kept per question after reranking "
                                                              "(None: as many as came in)")
    depth: int = Field(20, ge=1, le=1000, description="how many of the incoming hits are rescored")
    onnx: str | None = Field(None, description="cross_encoder: an .onnx file (relative to the YAML file) or an "
                                               "installed package with model_path()")
    tokenizer: str | None = Field(None, description="cross_encoder: tokenizer.json (default: beside the model, "
                                                    "else the shipped BERT uncased WordPiece vocabulary)")
    max_tokens: int = Field(256, ge=16, le=4096, description="cross_encoder: question + passage tokens")
    batch_size: int = Field(32, ge=1, le=4096, description="cross_encoder: pairs per model call")
    model: str | None = Field(None, description="llm: litellm model string (fake/x, local/smollm2, openai/...)")
    mode: Literal["pointwise", "listwise"] = Field("pointwise", description="llm: one call per passage or one "
                                                                             "per question")
    passage_chars: int = Field(600, ge=50, le=20_000, description="llm: characters of each passage shown")
    max_tokens_reply: int = Field(16, ge=1, le=4096, description="llm: maximum tokens of a reply")

    @model_validator(mode="after")
    def _backend_needs(self):
        if self.backend == "cross_encoder" and not self.onnx:
            raise ValueError("backend cross_encoder needs `onnx:` (a cross-encoder .onnx file or a package that "
                             "ships one); see docs/rag.md, 'Reranking'")
        if self.backend == "llm" and not self.model:
            raise ValueError("backend llm needs `model:` (a litellm model string)")
        return self


class Rerank(Op):
    """Re-order each question's hits by a cross-encoder (ONNX) or an LLM; `backend: none` passes them through."""

    name = "rerank"
    Params = RerankParams
    inputs = {"retrievals": In("Retrievals", "ranked hits per question")}
    outputs = {"retrievals": Out("Retrievals", "the same hits, re-ordered (and cut to top_k)")}

    def validate(self, base_dir: Path) -> list[Problem]:
        p = self.params
        if p.backend != "cross_encoder":
            return []
        try:
            locate_model(base_dir, p.onnx)
        except PipeError as exc:
            return [Problem(str(exc), fix="point onnx: at a cross-encoder .onnx file (see docs/rag.md, 'Reranking')",
                            path=("onnx",))]
        return []

    def fingerprint(self, ctx: Any) -> Any:
        from pipec.compiler.fingerprint import fingerprint_path

        if self.params.backend != "cross_encoder":
            return None
        model = locate_model(ctx.base_dir, self.params.onnx)
        return {"onnx": fingerprint_path(model),
                "tokenizer": fingerprint_path(locate_tokenizer(ctx.base_dir, self.params.tokenizer, model))}

    async def run(self, ctx, retrievals):
        p = self.params
        if p.backend == "none":
            return {"retrievals": [cut(r, p.top_k) for r in retrievals]}
        if p.backend == "cross_encoder":
            import asyncio

            scores = await asyncio.to_thread(self._cross_encoder_scores, ctx, retrievals)
        else:
            scores = await llm_scores(ctx, retrievals, p)
        out = [reorder(r, s, p.depth, p.top_k) for r, s in zip(retrievals, scores, strict=True)]
        ctx.progress(len(retrievals), len(retrievals))
        return {"retrievals": out}

    def _cross_encoder_scores(self, ctx, retrievals: list[Retrieval]) -> list[list[float]]:
        p = self.params
        model = locate_model(ctx.base_dir, p.onnx)
        scorer = CrossEncoder.load(str(model), str(locate_tokenizer(ctx.base_dir, p.tokenizer, model)),
                                   p.max_tokens)
        pairs = [(r.question, hit_text(h)) for r in retrievals for h in r.hits[:p.depth]]
        flat = scorer.score(pairs, p.batch_size)
        out, i = [], 0
        for r in retrievals:
            n = len(r.hits[:p.depth])
            out.append(flat[i:i + n].tolist())
            i += n
        return out


# --- ordering -------------------------------------------------------------------------------------------------

def hit_text(hit: Hit) -> str:
    return f"{hit.title}. {hit.text}" if hit.title and not hit.text.startswith(hit.title) else hit.text


def cut(retrieval: Retrieval, top_k: int | None) -> Retrieval:
    return dataclasses.replace(retrieval, hits=list(retrieval.hits[:top_k] if top_k else retrieval.hits))


def reorder(retrieval: Retrieval, scores: list[float], depth: int, top_k: int | None) -> Retrieval:
    """The first `depth` hits sorted by score (ties keep retrieval order), then the rest as they were."""
    head = retrieval.hits[:depth]
    order = sorted(range(len(head)), key=lambda i: (-scores[i], i))
    hits = [dataclasses.replace(head[i], score=float(scores[i])) for i in order] + list(retrieval.hits[depth:])
    return dataclasses.replace(retrieval, hits=hits[:top_k] if top_k else hits)


# --- the cross-encoder ----------------------------------------------------------------------------------------

def locate_model(base_dir: Path, onnx: str | None) -> Path:
    """An .onnx file: a path (beside the YAML file, else from the current directory) or a package's model."""
    if not onnx:
        raise PipeError("no cross-encoder model given (onnx:)")
    path = resolve_param_path(base_dir, onnx)
    if path.is_file():
        return path
    if re.fullmatch(r"[A-Za-z_][\w.]*", onnx):
        try:
            module = importlib.import_module(onnx)
        except ImportError:
            module = None
        if module is not None and callable(getattr(module, "model_path", None)):
            found = Path(module.model_path())
            if found.is_file():
                return found
    raise PipeError(f"cross-encoder model '{onnx}' not found: neither a file (looked at {path}) nor an installed "
                    f"package with model_path()")


def locate_tokenizer(base_dir: Path, tokenizer: str | None, model: Path) -> Path:
    if tokenizer:
        path = resolve_param_path(base_dir, tokenizer)
        if not path.is_file():
            raise PipeError(f"tokenizer file not found: {path}")
        return path
    beside = model.with_name("tokenizer.json")
    return beside if beside.is_file() else TOKENIZER_FILE


class CrossEncoder:
    """An ONNX cross-encoder and its tokenizer, loaded once per process per (model, tokenizer, length)."""

    def __init__(self, model: str, tokenizer: str, max_tokens: int):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = 2
        self.session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(tokenizer)
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    @staticmethod
    @cache
    def load(model: str, tokenizer: str, max_tokens: int) -> CrossEncoder:
        with _session_lock:
            return CrossEncoder(model, tokenizer, max_tokens)

    def score(self, pairs: list[tuple[str, str]], batch_size: int = 32) -> np.ndarray:
        """One relevance score per (question, passage) pair; batches sorted by length to pad little."""
        out = np.zeros(len(pairs), dtype=np.float32)
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            encodings = self.tokenizer.encode_batch([pairs[i] for i in batch])
            feed = {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                    "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64)}
            if "token_type_ids" in self.input_names:
                feed["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
            logits = np.asarray(self.session.run(None, feed)[0], dtype=np.float32)
            logits = logits.reshape(len(batch), -1)
            out[batch] = logits[:, -1] if logits.shape[1] == 2 else logits[:, 0]
        return out


# --- the LLM backend ------------------------------------------------------------------------------------------

GRADE = re.compile(r"-?\d+(?:\.\d+)?")
RANK = re.compile(r"\[(\d+)\]")


async def llm_scores(ctx, retrievals: list[Retrieval], p: RerankParams) -> list[list[float]]:
    from pipec.compiler.llm.errors import LLMItemError
    from pipec.ops.llm.items import run_all

    llm = ctx.llm
    params = {"temperature": 0.0, "max_tokens": p.max_tokens_reply}
    failures = 0

    def passage(hit: Hit) -> str:
        return hit.text[:p.passage_chars]

    def pointwise_job(r: Retrieval, hit: Hit):
        async def call() -> float | None:
            prompt = POINTWISE_PROMPT.format(question=r.question, title=hit.title, text=passage(hit))
            try:
                reply = await llm.complete(p.model, prompt, item=f"{r.qid}:{hit.chunk_id}", **params)
            except LLMItemError:
                return None
            match = GRADE.search(reply.text or "")
            return float(match.group()) if match else None
        return call

    def listwise_job(r: Retrieval):
        async def call() -> list[float] | None:
            hits = r.hits[:p.depth]
            listing = "\n\n".join(f"[{i + 1}] {h.title}\n{passage(h)}" for i, h in enumerate(hits))
            prompt = LISTWISE_PROMPT.format(question=r.question, passages=listing)
            try:
                reply = await llm.complete(p.model, prompt, item=r.qid,
                                           **{**params, "max_tokens": max(p.max_tokens_reply, 8 * len(hits))})
            except LLMItemError:
                return None
            return ranks_to_scores(reply.text or "", len(hits))
        return call

    out: list[list[float]] = []
    if p.mode == "pointwise":
        jobs = [(ri, pointwise_job(r, h)) for ri, r in enumerate(retrievals) for h in r.hits[:p.depth]]
        grades = await run_all([j for _, j in jobs], on_done=lambda n: ctx.progress(n, len(jobs)))
        out = [[] for _ in retrievals]
        for (ri, _), grade in zip(jobs, grades, strict=True):
            rank = len(out[ri])
            failures += grade is None
            # an unparsable grade keeps the hit below every graded one, in retrieval order
            out[ri].append(grade if grade is not None else -1.0 - rank / 1000)
    else:
        orders = await run_all([listwise_job(r) for r in retrievals],
                               on_done=lambda n: ctx.progress(n, len(retrievals)))
        for r, scores in zip(retrievals, orders, strict=True):
            n = len(r.hits[:p.depth])
            failures += scores is None
            out.append(scores if scores is not None else [float(n - i) for i in range(n)])
    if failures:
        ctx.warn(f"{failures} LLM replies could not be parsed as a {p.mode} ranking; those hits keep their "
                 f"retrieval order")
    return out


def ranks_to_scores(reply: str, n: int) -> list[float] | None:
    """'[2] > [1] > [3]' -> a score per passage (higher first); unmentioned passages follow in their order."""
    seen: list[int] = []
    for m in RANK.finditer(reply):
        i = int(m.group(1)) - 1
        if 0 <= i < n and i not in seen:
            seen.append(i)
    if not seen:
        return None
    seen += [i for i in range(n) if i not in seen]
    scores = [0.0] * n
    for rank, i in enumerate(seen):
        scores[i] = float(n - rank)
    return scores
