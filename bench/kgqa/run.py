"""KGQA benchmark on MetaQA (../shared/data/metaqa): the edge scorer (no LLM) and the LLM planner's BFS.

    python bench/kgqa/run.py                      # train on 80% of dev (all hops), evaluate on the other 20%
    python bench/kgqa/run.py --eval-limit 500     # quicker
    python bench/kgqa/run.py --data ../shared/data/metaqa --threads 2

Prints a table: Hits@1 / micro-F1 per hop (targets 97 / 98 / 97), training time (target < 10 min on 2 cores),
questions/s (target >= 1,000), planner BFS time per question (target < 2 ms) and the planner's accuracy with
the fake provider replaying correct plans (plumbing; a real model needs a key: --model).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = Path(os.environ.get("PIPEC_SHARED_DATA", REPO.parent / "shared" / "data")) / "metaqa"


def quiet_ctx() -> SimpleNamespace:
    return SimpleNamespace(progress=lambda *a, **k: None, log=lambda m: print(f"  {m}", file=sys.stderr),
                           cancelled=False, record_items=lambda *a, **k: None)


def load(data: Path, eval_fraction: float, seed: int):
    from pipec.ops.kg.graph import KnowledgeGraph, read_triples
    from pipec.ops.kg.load import question_files, read_questions, split_questions

    started = time.perf_counter()
    kg = KnowledgeGraph.from_triples(read_triples(data / "kb.txt"))
    load_s = time.perf_counter() - started
    train, evaluate = [], {}
    for file in question_files(data, None):
        qs = read_questions(file)
        train += split_questions(qs, "train", eval_fraction, seed)
        evaluate[qs[0].meta["hops"]] = split_questions(qs, "eval", eval_fraction, seed)
    return kg, load_s, train, evaluate


def train_scorer(kg, train):
    from pipec.ops.kg.train import TrainScorer

    op = TrainScorer(TrainScorer.Params())
    started = time.perf_counter()
    model = op.run(quiet_ctx(), kg=kg, questions=train)["model"]
    return model, time.perf_counter() - started


def evaluate_scorer(kg, model, questions):
    from pipec.ops.kg.metrics import answer_scores
    from pipec.ops.kg.search import SearchKG

    op = SearchKG(SearchKG.Params())
    started = time.perf_counter()
    answers = op.run(quiet_ctx(), kg=kg, model=model, questions=questions)["answers"]
    seconds = time.perf_counter() - started
    scores = answer_scores(answers, questions)
    return scores["hits@1"], scores["micro_f1"], len(questions) / seconds


def evaluate_planner(kg, questions, model_name: str | None):
    """BFS time per question of the gold plans, and accuracy of kg.plan with the fake provider replaying them."""
    import asyncio

    from pipec.ops.kg.metrics import answer_scores
    from pipec.ops.kg.paths import label_paths
    from pipec.ops.kg.plan import execute_plan
    from pipec.ops.kg.train import gold_ids, topic_ids

    plans = {}
    for q in questions:
        label = label_paths(kg, topic_ids(kg, q), gold_ids(kg, q), [q.meta["hops"]])
        if label is not None:
            plans[q.id] = [kg.action_name(a) for a in label.paths[0]]
    started = time.perf_counter()
    for q in questions:
        execute_plan(kg, q.topic_entities, plans.get(q.id, []))
    bfs_ms = 1000 * (time.perf_counter() - started) / len(questions)
    answers = asyncio.run(replay_plans(kg, questions, plans, model_name))
    return bfs_ms, answer_scores(answers, questions), len(plans) / len(questions)


async def replay_plans(kg, questions, plans, model_name):
    import tempfile

    from pipec.compiler.context import RunContext, Runtime
    from pipec.compiler.llm.fake import fake_script
    from pipec.compiler.spec import Settings
    from pipec.compiler.store import Store
    from pipec.ops.kg.plan import PlanKG, bracketed

    by_text = {bracketed(q): plans.get(q.id, []) for q in questions}

    def reply(messages):
        text = messages[-1]["content"]
        question = text.rsplit("Question: ", 1)[-1].split("\n", 1)[0].strip()
        return json.dumps({"relations": by_text.get(question, [])})

    with tempfile.TemporaryDirectory() as tmp, fake_script(reply):
        store = Store(Path(tmp) / ".pipe")
        ctx = RunContext(Runtime("bench", Path(tmp), store, Settings()), "plan")
        op = PlanKG(PlanKG.Params(model=model_name or "fake/planner"))
        answers = (await op.run(ctx, kg=kg, questions=questions))["answers"]
        store.close()
    return answers


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--eval-fraction", type=float, default=0.2)
    ap.add_argument("--eval-limit", type=int, default=None, help="evaluate on the first N held-out questions per hop")
    ap.add_argument("--planner-questions", type=int, default=300, help="questions per hop for the planner rows")
    ap.add_argument("--model", default=None, help="a litellm model for the planner (default: fake replay)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if not (args.data / "kb.txt").is_file():
        print(f"benchmark data not found at {args.data} (set PIPEC_SHARED_DATA); skipping")
        return 0
    kg, load_s, train, held_out = load(args.data, args.eval_fraction, args.seed)
    print(f"{kg.describe()} loaded in {load_s:.2f} s; {len(train)} training questions")
    model, train_s = train_scorer(kg, train)
    rows = [("kg.load (134k triples)", f"{load_s:.2f} s", "seconds"),
            ("edge scorer training", f"{train_s:.1f} s", "< 600 s")]
    targets = {1: 97, 2: 98, 3: 97}
    for hops, questions in sorted(held_out.items()):
        questions = questions[: args.eval_limit] if args.eval_limit else questions
        hits, f1, qps = evaluate_scorer(kg, model, questions)
        rows.append((f"edge scorer {hops}-hop Hits@1 (n={len(questions)})", f"{100 * hits:.2f}",
                     f">= {targets[hops]}"))
        rows.append((f"edge scorer {hops}-hop micro-F1", f"{100 * f1:.2f}", ""))
        rows.append((f"edge scorer {hops}-hop questions/s", f"{qps:,.0f}", ">= 1,000"))
    for hops, questions in sorted(held_out.items()):
        questions = questions[: args.planner_questions]
        bfs_ms, scores, labelled = evaluate_planner(kg, questions, args.model)
        name = f"planner {hops}-hop, {args.model or 'fake replay'}"
        rows.append((f"planner {hops}-hop BFS per question", f"{bfs_ms:.3f} ms", "< 2 ms"))
        rows.append((f"{name}: Hits@1 (n={len(questions)})", f"{100 * scores['hits@1']:.2f}",
                     f"(gold plans found: {100 * labelled:.0f}%)"))
        rows.append((f"{name}: micro-F1", f"{100 * scores['micro_f1']:.2f}", ""))
        rows.append((f"{name}: LLM calls / question", f"{scores['llm_calls_per_question']:.2f}",
                     f"(fallbacks: {100 * scores['fallback_rate']:.0f}%)"))
        rows.append((f"{name}: wall s / question", f"{scores['seconds_per_question']:.3f}", ""))
    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure':<{width}}  {'value':>12}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>12}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
