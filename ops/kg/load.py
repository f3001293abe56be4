"""`kg.load` (triples -> KnowledgeGraph) and `kg.questions` (MetaQA-style question files with a seeded
train/eval split). The MetaQA line parser is the RAG loaders' (`pipec.ops.text.datasets`)."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Literal

from pipec.compiler.errors import Problem
from pipec.compiler.op import Op, OpParams, Out, resolve_param_path
from pydantic import Field

from ..data import Question
from ..text.sampling import SplitParams, split_part
from .graph import KGError, KnowledgeGraph, read_triples


class DataPathOp(Op):
    """An op with a `path` parameter resolved by `resolve_param_path`, checked at compile time and
    fingerprinted by content (like a PathParam)."""

    def validate(self, base_dir: Path) -> list[Problem]:
        if resolve_param_path(base_dir, self.params.path).exists():
            return []
        return [Problem(f"path '{self.params.path}' does not exist (relative to {base_dir} or the current directory)",
                        fix="check the path or pass --set data_dir=... with the right one", path=("path",))]

    def fingerprint(self, ctx):
        from pipec.compiler.fingerprint import fingerprint_path

        return {"path": fingerprint_path(resolve_param_path(ctx.base_dir, self.params.path))}


class LoadKG(DataPathOp):
    """Load a knowledge graph from a triples file: `head|relation|tail` (MetaQA kb.txt) or tab-separated.
    A folder means its `kb.txt`. Inverse edges (`relation^-1`) are available to search."""

    name = "kg.load"

    class Params(OpParams):
        path: str = Field(description="a triples file, or a folder holding kb.txt (relative to the YAML file, "
                                      "else to the current directory)")
        delimiter: Literal["auto", "|", "\t"] = Field("auto", description="field separator; auto: tab if the "
                                                      "line has one, else '|'")

    outputs = {"kg": Out("KG", "the knowledge graph")}

    def run(self, ctx, **_):
        path = resolve_param_path(ctx.base_dir, self.params.path)
        if path.is_dir():
            path = path / "kb.txt"
        if not path.is_file():
            raise KGError(f"no triples file at {path} (point `path` at a kb.txt or a folder holding one)")
        started = time.perf_counter()
        kg = KnowledgeGraph.from_triples(read_triples(path, self.params.delimiter), source=str(path))
        if len(kg) == 0:
            raise KGError(f"{path}: no triples")
        ctx.log(f"{kg.describe()} in {time.perf_counter() - started:.2f} s")
        return {"kg": kg}


def question_files(path: Path, hops: list[int] | None) -> list[Path]:
    if path.is_file():
        return [path]
    files = sorted(path.glob("qa_*hop.txt"))
    if hops:
        files = [f for f in files if any(f.name.endswith(f"_{h}hop.txt") for h in hops)]
    if not files and (path / "questions.jsonl").is_file():
        return [path / "questions.jsonl"]
    if not files:
        want = f" for hops {hops}" if hops else ""
        raise KGError(f"no question file qa_*_<N>hop.txt{want} in {path}")
    return files


def read_questions(file: Path) -> list[Question]:
    from ..text.datasets import read_metaqa_questions
    from ..text.loaders import read_jsonl_questions

    if file.suffix == ".jsonl":
        return read_jsonl_questions(file)
    return read_metaqa_questions(file)


def split_questions(questions: list[Question], split: str, eval_fraction: float, seed: int) -> list[Question]:
    """A seeded split, stable per file: the same question always lands on the same side."""
    if split == "all":
        return questions
    order = list(range(len(questions)))
    random.Random(seed).shuffle(order)
    n_eval = round(len(questions) * eval_fraction)
    chosen = set(order[:n_eval]) if split == "eval" else set(order[n_eval:])
    return [q for i, q in enumerate(questions) if i in chosen]


class LoadKGQuestions(DataPathOp):
    """Load KGQA questions: MetaQA files (`question with [topic entity]<TAB>ans1|ans2`, qa_*_<N>hop.txt) or
    the project's questions.jsonl (with `topic_entities`), with a seeded train/eval split per file."""

    name = "kg.questions"

    class Params(OpParams):
        path: str = Field(description="a question file or a folder of qa_*_<N>hop.txt files (relative to "
                                      "the YAML file, else to the current directory)")
        hops: int | list[int] | None = Field(None, description="keep only these hop counts (MetaQA files)")
        split: Literal["train", "eval", "all"] = Field("all", description="which part of the seeded split")
        eval_fraction: float = Field(0.2, ge=0, le=1, description="share of each file held out for eval")
        seed: int = Field(0, description="seed of the split")
        limit: int | None = Field(None, ge=1, description="keep the first N questions per file (after the split)")
        holdout: SplitParams | None = Field(None, description="keep one part of a seeded tuning/validation split "
                                                              "of each file's questions (after `split`, before "
                                                              "limit; set by pipe tune from tune.validation)")

    outputs = {"questions": Out("Questions", "questions with gold answers and bracketed topic entities")}

    def run(self, ctx, **_):
        p = self.params
        hops = [p.hops] if isinstance(p.hops, int) else p.hops
        out: list[Question] = []
        for file in question_files(resolve_param_path(ctx.base_dir, p.path), hops):
            part = split_part(split_questions(read_questions(file), p.split, p.eval_fraction, p.seed), p.holdout)
            out.extend(part[: p.limit] if p.limit else part)
        if not out:
            raise KGError(f"no questions in {p.path} for split '{p.split}'")
        return {"questions": out}
