"""`pipe serve` as a real uvicorn server on an ephemeral 127.0.0.1 port (a subprocess that the fixture stops,
and that exits by itself if the test process dies: its stdin is a pipe the server watches through uvicorn's
lifetime, and every wait here has a timeout)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx", reason="the serve extra (pipec[serve]) is not installed")
pytest.importorskip("uvicorn", reason="the serve extra (pipec[serve]) is not installed")

REPO = Path(__file__).resolve().parents[2]
SERVE_YAML = REPO / "examples" / "rag" / "serve.yaml"
pytestmark = pytest.mark.xdist_group("serve")


@contextmanager
def server(graph: Path, store: Path, *extra: str, env: dict | None = None):
    cmd = [sys.executable, "-m", "pipec.compiler.cli", "serve", str(graph), "--store", str(store), "--port", "0",
           "--json", *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            text=True, env={**os.environ, **(env or {})})
    try:
        line = proc.stdout.readline()  # printed once the static part is ready and the port is bound
        if not line:
            raise AssertionError(f"pipe serve did not start: {proc.wait(30)} {proc.stderr.read()}")
        url = json.loads(line)["url"]
        assert url.startswith("http://127.0.0.1:")
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not answer /health"
            time.sleep(0.05)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def node_statuses(store_path: Path, run_id: str) -> dict[str, str]:
    import pipec

    store = pipec.open_store(store_path)
    try:
        return {row["node"]: row["status"] for row in store.node_runs(run_id)}
    finally:
        store.close()


def test_concurrent_requests_a_bad_body_and_a_restart_that_recomputes_nothing(tmp_path):
    store = tmp_path / "store"
    args = ("--set", "embedder=hashing")
    questions = ["What does pipe tune do?", "Which library provides BM25?", "What database records the runs?",
                 "Which command compiles a graph without running it?"] * 2
    with server(SERVE_YAML, store, *args) as (url, _):
        health = httpx.get(f"{url}/health", timeout=10).json()
        static_run = health["static_run"]
        assert set(node_statuses(store, static_run).values()) == {"succeeded"}  # computed once, here

        def ask(q: str) -> httpx.Response:
            return httpx.post(f"{url}/run", json={"question": q}, timeout=60)

        with ThreadPoolExecutor(8) as pool:
            replies = list(pool.map(ask, questions))
        assert [r.status_code for r in replies] == [200] * 8
        bodies = [r.json() for r in replies]
        assert len({b["run_id"] for b in bodies}) == 8 and all(b["run_id"].endswith("-req") for b in bodies)
        for q, body in zip(questions, bodies, strict=True):
            assert body["status"] == "succeeded" and body["llm_calls"] == 0 and body["cost_usd"] == 0
            assert body["outputs"]["passages"][0]["question"] == q and body["outputs"]["answers"][0]["text"]
            assert body["metrics"] == {}  # no gold answers: no metrics
        # each request ran only its own part; the static part came from memory
        statuses = node_statuses(store, bodies[0]["run_id"])
        assert {n: statuses[n] for n in ("data", "chunks", "embedder", "index")} == dict.fromkeys(
            ("data", "chunks", "embedder", "index"), "cached")

        bad = httpx.post(f"{url}/run", json={"questoin": "x"}, timeout=10)
        assert bad.status_code == 422
        locs = [tuple(d["loc"]) for d in bad.json()["detail"]]
        assert ("body", "question") in locs and ("body", "questoin") in locs
        assert httpx.post(f"{url}/run", json={"question": 5}, timeout=10).status_code == 422
        # a request supplies values, never parameters or paths: no way to point the graph at a file
        assert httpx.post(f"{url}/run", json={"question": "x", "data_dir": "/etc"}, timeout=10).status_code == 422
        path_like = httpx.post(f"{url}/run", json={"question": "/etc/passwd"}, timeout=60).json()
        docs = {h["doc_id"] for h in path_like["outputs"]["passages"][0]["hits"]}
        assert docs and all(not d.startswith("/") and "passwd" not in d for d in docs)

        gold = httpx.post(f"{url}/run", json={"question": {"question": "Which library provides BM25?",
                                                           "answers": ["bm25s"]}}, timeout=60).json()
        assert set(gold["metrics"]["answer_metrics"]) >= {"em", "f1"}

        graph = httpx.get(f"{url}/graph", timeout=10).json()
        assert graph["static_nodes"] == ["data", "embedder", "chunks", "index"] or set(graph["static_nodes"]) == {
            "data", "embedder", "chunks", "index"}
        schema = httpx.get(f"{url}/openapi.json", timeout=10).json()
        assert "question" in schema["components"]["schemas"]["RunRequest"]["properties"]

    # restart: the static part is found memoized; the first request computes nothing of it again
    with server(SERVE_YAML, store, *args) as (url, _):
        static_run = httpx.get(f"{url}/health", timeout=10).json()["static_run"]
        assert set(node_statuses(store, static_run).values()) == {"cached"}
        first = httpx.post(f"{url}/run", json={"question": "What does pipe serve do?"}, timeout=60).json()
        statuses = node_statuses(store, first["run_id"])
        ran = sorted(n for n, s in statuses.items() if s == "succeeded")
        assert ran == ["inputs", "read", "retrieve"]

    done = subprocess.run([sys.executable, "-m", "pipec.compiler.cli", "runs", "--store", str(store), "--served",
                           "--json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    served = json.loads(done.stdout)
    assert len(served) == 11 and all(r["id"].endswith("-req") for r in served)


# one LLM call at a time: the budget is checked before each call (calls already in flight are not reserved)
BUDGET_GRAPH = """
settings:
  llm: {concurrency: 1}
inputs:
  questions: {type: Questions}
nodes:
  generate:
    op: llm.generate
    inputs: {items: "${questions}"}
    params: {model: fake/priced, prompt: "Answer: {{ item.question }}", max_tokens: 8}
outputs:
  texts: generate.texts
"""


def test_a_request_over_its_budget_and_a_bearer_token(tmp_path):
    graph = tmp_path / "budget.yaml"
    graph.write_text(BUDGET_GRAPH)
    script = tmp_path / "fake.yaml"
    script.write_text('default: "five words in this reply"\nprices: {input: 0.0, output: 1.0e-6}\n')
    env = {"PIPEC_FAKE_LLM": str(script), "SERVE_TOKEN": "s3cret"}
    with server(graph, tmp_path / "store", "--max-usd-per-request", "0.000009", "--token-env", "SERVE_TOKEN",
                env=env) as (url, _):
        tag = uuid.uuid4().hex[:8]  # new questions: no LLM cache hits
        body = {"questions": [f"question {tag} {i}" for i in range(6)]}
        assert httpx.post(f"{url}/run", json=body, timeout=30).status_code == 401
        auth = {"Authorization": "Bearer s3cret"}
        over = httpx.post(f"{url}/run", json=body, headers=auth, timeout=60)
        assert over.status_code == 402, over.text
        assert over.json()["status"] == "budget_exceeded" and "budget" in over.json()["error"]
        small = httpx.post(f"{url}/run", json={"questions": [f"one {tag}"]}, headers=auth, timeout=60)
        assert small.status_code == 200 and small.json()["llm_calls"] == 1
        assert small.json()["cost_usd"] == pytest.approx(5e-6)
        assert httpx.get(f"{url}/health", timeout=10).status_code == 200  # health needs no token
