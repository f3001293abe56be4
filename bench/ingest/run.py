"""Ingest benchmark: a folder of N documents (synthetic, made of real sentences from the shared HotpotQA and
MuSiQue corpora) through load.folder -> chunk.sentences -> embeddings -> index.dense -> retrieve, as whole
`pipe run` processes:

1. a first run on an empty store;
2. a re-run after changing ONE document;
3. a full rebuild of the changed folder on a fresh store, whose retrieval results must equal the re-run's.

Prints per-node and total wall times (min/median/max over --repeats, first run and re-run interleaved), the
re-run / first-run ratio, and whether the results are equal. Also: pages/s of PDF extraction and documents/s of
HTML main-content extraction.

    python bench/ingest/run.py                       # 10,000 documents, MiniLM (several minutes on 2 cores)
    python bench/ingest/run.py --docs 2000 --embedder hashing --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1].parent / "shared" / "data"


def real_sentences() -> list[str]:
    sentences = []
    hotpot = DATA / "hotpotqa" / "hotpot_train_sample100_corpus.json"
    musique = DATA / "musique" / "musique_train_sample100_corpus.json"
    if hotpot.exists():
        for sents in json.loads(hotpot.read_text()).values():
            sentences += [s.strip() for s in sents if len(s.split()) >= 4]
    if musique.exists():
        corpus = json.loads(musique.read_text())
        for text in (corpus.values() if isinstance(corpus, dict) else (r.get("text", "") for r in corpus)):
            text = text if isinstance(text, str) else " ".join(text)
            sentences += [s.strip() + "." for s in text.split(". ") if len(s.split()) >= 4]
    return sentences


def write_folder(root: Path, n_docs: int, seed: int = 0) -> tuple[Path, list[str]]:
    sentences = real_sentences()
    if not sentences:
        sys.exit(f"skipped: the shared corpora are not at {DATA}")
    rng = random.Random(seed)
    docs = root / "docs"
    docs.mkdir(parents=True)
    for i in range(n_docs):
        body = " ".join(rng.choice(sentences) for _ in range(rng.randint(3, 8)))
        sub = docs / f"part{i % 20:02d}"
        sub.mkdir(exist_ok=True)
        (sub / f"doc{i:05d}.md").write_text(f"# Document {i}\n\n{body}\n")
    questions = [rng.choice(sentences) for _ in range(50)]
    (root / "questions.jsonl").write_text("".join(json.dumps({"id": f"q{i}", "question": q}) + "\n"
                                                  for i, q in enumerate(questions)))
    return docs, questions


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pipe_run(root: Path, store: Path, embedder: str) -> tuple[float, dict]:
    """Wall time and the `--json` result of one `pipe run` process (its CPU time: `child_cpu()` before/after)."""
    cmd = [sys.executable, "-m", "pipec.compiler.cli", "run", str(HERE / "ingest.yaml"), "--store", str(store),
           "--set", f"docs_dir={root / 'docs'}", "--set", f"questions={root / 'questions.jsonl'}",
           "--set", f"embedder={embedder}", "--json", "--quiet"]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        sys.exit(f"pipe run failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return wall, json.loads(out.stdout)


def hit_ids(run: dict) -> list[list[str]]:
    """Hit ids per question from a run's `--json` output (the graph names retrieve's result as `hits`)."""
    return [[h["chunk_id"] for h in r["hits"]] for r in run["outputs"]["hits"]]


def change_one(docs: Path, k: int) -> None:
    path = sorted(docs.rglob("*.md"))[k]
    path.write_text(path.read_text() + f"\nAn edited sentence number {k} about the river Seine in Paris.\n")


def ingest(n_docs: int, embedder: str, repeats: int) -> None:
    firsts, reruns, cpus, node_times = [], [], [], {"first": {}, "rerun": {}}
    load_before = os.getloadavg()
    equal = True
    for r in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            docs, _ = write_folder(root, n_docs, seed=r)
            store = root / "store"
            cpu0 = child_cpu()
            wall1, run1 = pipe_run(root, store, embedder)
            cpu1 = child_cpu()
            change_one(docs, k=r * 37 % n_docs)
            wall2, run2 = pipe_run(root, store, embedder)
            cpus.append((cpu1 - cpu0, child_cpu() - cpu1))
            _, rebuilt = pipe_run(root, root / "fresh", embedder)
            equal &= hit_ids(run2) == hit_ids(rebuilt)
            firsts.append(wall1)
            reruns.append(wall2)
            for label, run in (("first", run1), ("rerun", run2)):
                for node, info in run["nodes"].items():
                    node_times[label].setdefault(node, []).append(info["duration_s"])
    print(f"\n## ingest: {n_docs} documents, embedder {embedder}, {repeats} repeat(s), whole `pipe run` processes\n")
    print("| | min | median | max |\n|---|---|---|---|")
    for label, values in (("first run (s)", firsts), ("re-run after 1 changed document (s)", reruns),
                          ("re-run / first run", [b / a for a, b in zip(firsts, reruns, strict=True)]),
                          ("first run CPU (user+sys, s)", [a for a, _ in cpus]),
                          ("re-run CPU (user+sys, s)", [b for _, b in cpus]),
                          ("re-run / first run, CPU", [b / a for a, b in cpus])):
        print(f"| {label} | {min(values):.3f} | {statistics.median(values):.3f} | {max(values):.3f} |")
    print("\n| node | first run median (s) | re-run median (s) |\n|---|---|---|")
    for node in node_times["first"]:
        print(f"| {node} | {statistics.median(node_times['first'][node]):.3f} | "
              f"{statistics.median(node_times['rerun'].get(node, [0.0])):.3f} |")
    print(f"\nre-run results equal to a full rebuild on a fresh store: {equal}")
    print(f"load average (1/5/15 min) before: {'/'.join(f'{x:.1f}' for x in load_before)}, after: "
          f"{'/'.join(f'{x:.1f}' for x in os.getloadavg())}")


def extraction(pages: int, html_docs: int) -> None:
    from pipec.ops.text.documents import read_html, read_pdf

    sentences = real_sentences()
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        from fpdf import FPDF

        pdf = FPDF()
        pdf.set_font("Helvetica", size=11)
        for _ in range(pages):
            pdf.add_page()
            text = " ".join(rng.choice(sentences) for _ in range(12))
            pdf.multi_cell(0, 6, text.encode("latin-1", "replace").decode("latin-1"))
        path = Path(tmp) / "bench.pdf"
        pdf.output(str(path))
        data = path.read_bytes()
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            read_pdf(path, "bench.pdf", data)
            times.append(time.perf_counter() - t0)
        pdf_rate = [pages / t for t in times]
        pages_html = []
        for i in range(html_docs):
            body = "".join(f"<p>{rng.choice(sentences)}</p>" for _ in range(6))
            pages_html.append(f"<html><head><title>Page {i}</title></head><body><nav><a href='/'>Home</a> "
                              f"<a href='/a'>About</a></nav><article><h1>Page {i}</h1>{body}<h2>More</h2>"
                              f"<p>{rng.choice(sentences)}</p></article><footer>Copyright. Privacy policy."
                              f"</footer></body></html>".encode())
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            for i, data in enumerate(pages_html):
                read_html(Path(f"p{i}.html"), f"p{i}.html", data)
            times.append(time.perf_counter() - t0)
        html_rate = [html_docs / t for t in times]
    print("\n## extraction (3 repeats)\n")
    print("| | min | median | max |\n|---|---|---|---|")
    print(f"| PDF pages/s (pypdf, {pages} pages) | {min(pdf_rate):.0f} | {statistics.median(pdf_rate):.0f} | "
          f"{max(pdf_rate):.0f} |")
    print(f"| HTML documents/s (trafilatura, {html_docs} pages) | {min(html_rate):.0f} | "
          f"{statistics.median(html_rate):.0f} | {max(html_rate):.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--embedder", default="minilm")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--html", type=int, default=300)
    parser.add_argument("--skip-extraction", action="store_true")
    args = parser.parse_args()
    ingest(args.docs, args.embedder, args.repeats)
    if not args.skip_extraction:
        extraction(args.pages, args.html)


if __name__ == "__main__":
    main()
