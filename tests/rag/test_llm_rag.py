"""The LLM parts of RAG, offline: generated answers with citations, the LLM judge and litellm embedders, all
through the gateway with the fake provider."""

import pytest
from pipec.compiler.api import compile_file, compile_text, run_graph
from pipec.ops.text.generated import parse_generated


def test_parse_generated_answers_and_citations():
    assert parse_generated("Answer: Paris [2][1] [2]\nmore text") == ("Paris", [2, 1])
    assert parse_generated("1889 [1, 3].") == ("1889", [1, 3])
    assert parse_generated("") == ("", [])


@pytest.fixture
def llm_example(repo):
    return repo / "examples" / "rag" / "llm.yaml"


def test_llm_example_validates_offline(llm_example):
    graph = compile_file(llm_example)
    assert {"generate", "answers", "judge"} <= set(graph.nodes)


def test_llm_example_with_scripted_fake(llm_example, tmp_path):
    from pipec.compiler.llm.fake import fake_script

    script = {"You grade answers": {"correct": True, "reason": "ok"},
              "Question: What database records the runs?": "SQLite [1]",
              "Question: Which command lists every registered op?": "Answer: pipe ops [1][9]"}
    overrides = ["embedder=hashing", "questions=12"]
    with fake_script(script, default="unknown"):
        result = run_graph(compile_file(llm_example, overrides), tmp_path / ".pipe")
    assert result.status == "succeeded", result.error
    answers = {a.qid: a for a in result.outputs["answers"]}
    assert answers["q08"].text == "SQLite" and len(answers["q08"].evidence) == 1
    assert answers["q01"].text == "unknown" and answers["q01"].evidence == []
    em = result.metrics["answer_metrics"]["em"]
    assert em == pytest.approx(1 / 12)  # only q08 is in the first 12 questions and answered correctly
    judge = result.metrics["judge"]
    assert judge["judged"] == 12 and judge["judge_accuracy"] == 1.0 and judge["judge_errors"] == 0


def test_judge_counts_wrong_verdicts(tmp_path, repo):
    from pipec.compiler.llm.fake import fake_script

    text = f"""
nodes:
  data: {{op: load.dataset, params: {{path: {repo / 'examples/rag/data'}, limit: 4}}}}
  chunks: {{op: chunk.sentences, inputs: {{documents: data.documents}}, params: {{size: 60}}}}
  index: {{op: index.build, inputs: {{chunks: chunks}}, params: {{kind: bm25}}}}
  retrieve: {{op: retrieve, inputs: {{index: index, questions: data.questions}}}}
  read: {{op: read.extractive, inputs: {{retrievals: retrieve}}}}
  judge: {{op: eval.judge, inputs: {{answers: read, questions: data.questions}}, params: {{model: fake/j}}}}
"""
    with fake_script({"pipe validate": {"correct": True}, "You grade": {"correct": False, "reason": "no"}}):
        result = run_graph(compile_text(text, base_dir=tmp_path), tmp_path / ".pipe")
    assert result.status == "succeeded", result.error
    assert result.metrics["judge"]["judge_accuracy"] == pytest.approx(1 / 4)


def test_litellm_embedding_model_through_the_gateway(tmp_path, repo):
    from pipec.compiler.llm.fake import fake_script

    text = f"""
nodes:
  data: {{op: load.dataset, params: {{path: {repo / 'examples/rag/data'}}}}}
  chunks: {{op: chunk.tokens, inputs: {{documents: data.documents}}, params: {{size: 64}}}}
  embedder: {{op: embed.model, params: {{model: fake/embedder, batch_size: 16}}}}
  index: {{op: index.build, inputs: {{chunks: chunks, embedder: embedder}}, params: {{kind: dense}}}}
  retrieve: {{op: retrieve, inputs: {{index: index, questions: data.questions}}}}
  metrics: {{op: eval.retrieval, inputs: {{retrievals: retrieve, questions: data.questions}}}}
"""
    with fake_script({}, embedding_dim=64):
        result = run_graph(compile_text(text, base_dir=tmp_path), tmp_path / ".pipe")
    assert result.status == "succeeded", result.error
    # the fake embeds a hashed bag of words: lexical retrieval, far better than chance on this corpus
    assert result.metrics["metrics"]["recall@5"] > 0.5
