"""bench/faults: what each LLM fault mode costs, against the tests' fault-injecting OpenAI-compatible server on
127.0.0.1, through the real litellm path (`openai/gpt-4o-mini` with `api_base`).

For each mode, one item of N fails persistently (a seeded random rate for `random30`): a run, then the server
heals and the graph runs again. Columns: items lost (item errors of the first run), requests the first run
sent, requests re-sent on the healed re-run (only the failed items should be), answers kept from the cache,
wall time of each run (min/median/max over --repeats).

    python bench/faults/run.py                 # N=20, repeats 3
    python bench/faults/run.py --items 40 --repeats 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "faults"))

from fault_server import FaultServer  # noqa: E402

MODES = ["none", "429", "500", "502", "hang", "drop", "malformed", "html", "nofields", "empty", "400", "404",
         "401", "random30"]


def graph_text(url: str, n: int) -> str:
    items = [{"id": f"q{i}", "question": f"item q{i}"} for i in range(1, n + 1)]
    return f"""\
pipeline: bench-faults
settings:
  llm: {{retries: 2, backoff_s: 0.05, timeout: 1.0, concurrency: 8, max_item_errors: 0.5}}
nodes:
  qs: {{op: core.value, params: {{value: {json.dumps(items)}}}}}
  ask:
    op: llm.generate
    inputs: {{items: qs}}
    params:
      model: openai/gpt-4o-mini
      prompt: "Answer {{{{ item.question }}}}"
      max_tokens: 50
      params: {{api_base: "{url}", api_key: sk-bench-key}}
outputs:
  out: ask.texts
"""


def one(mode: str, n: int) -> dict:
    from pipec.compiler.api import compile_text, run_graph
    from pipec.compiler.store import Store

    with tempfile.TemporaryDirectory() as tmp, FaultServer(hang_s=3.0) as server:
        if mode == "random30":
            server.rate, server.seed = 0.3, 7
        elif mode != "none":
            server.faults = {"item q3": mode}
        text = graph_text(server.url, n)
        store = Store(Path(tmp) / "store")
        t0 = time.perf_counter()
        first = run_graph(compile_text(text, str(Path(tmp) / "g.yaml"), tmp), store)
        first_s = time.perf_counter() - t0
        sent_first = len(server.sent())
        lost = len(first.nodes["ask"].item_errors) if first.nodes["ask"].status == "succeeded" else n
        server.heal()
        server.reset()
        t0 = time.perf_counter()
        healed = run_graph(compile_text(text, str(Path(tmp) / "g.yaml"), tmp), store)
        healed_s = time.perf_counter() - t0
        resent = len(server.sent())
        good = sum(1 for t in (healed.outputs.get("out") or []) if t["text"] == f"answer: {t['id']}")
        store.close()
    return {"mode": mode, "status": first.nodes["ask"].status, "lost": lost, "sent": sent_first,
            "resent": resent, "kept": n - resent, "healed_ok": good, "first_s": first_s, "healed_s": healed_s}


def spread(values: list[float]) -> str:
    return f"{min(values):.2f}/{statistics.median(values):.2f}/{max(values):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--modes", nargs="*", default=MODES)
    args = parser.parse_args()
    one("none", 2)  # warm up litellm (its first request takes ~2 s)
    print(f"items per run: {args.items}; retries 2, timeout 1 s, concurrency 8; repeats {args.repeats}")
    print(f"{'mode':10} {'node':9} {'lost':>4} {'sent':>5} {'re-sent':>7} {'kept':>5} {'healed ok':>9} "
          f"{'first run s (min/med/max)':>26} {'healed s (min/med/max)':>23}")
    for mode in args.modes:
        rows = [one(mode, args.items) for _ in range(args.repeats)]
        r = rows[0]
        print(f"{mode:10} {r['status']:9} {r['lost']:>4} {r['sent']:>5} {r['resent']:>7} {r['kept']:>5} "
              f"{r['healed_ok']:>6}/{args.items:<2} {spread([x['first_s'] for x in rows]):>26} "
              f"{spread([x['healed_s'] for x in rows]):>23}")


if __name__ == "__main__":
    main()
