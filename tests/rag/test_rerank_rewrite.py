"""`rerank` (an ONNX cross-encoder the test builds, and the LLM backend through the real gateway with the fake
provider) and `llm.rewrite` (rewrite, decompose, HyDE) in real runs."""

import numpy as np
import pytest
from pipec.compiler.api import compile_text, run_graph
from pipec.compiler.errors import CompileError
from pipec.ops.data import Hit, Retrieval
from pipec.ops.text.minilm import tokenizer
from pipec.ops.text.rerank import CrossEncoder, ranks_to_scores, reorder

DOCS = [
    {"id": "d1", "title": "Berlin", "text": "Berlin is the capital of Germany and its largest city."},
    {"id": "d2", "title": "Paris", "text": "Paris is the capital of France, on the river Seine."},
    {"id": "d3", "title": "Rome", "text": "Rome is the capital of Italy, founded on seven hills."},
    {"id": "d4", "title": "Madrid", "text": "Madrid is the capital of Spain, in the centre of the country."},
]


def write_data(tmp_path):
    import json

    (tmp_path / "docs.jsonl").write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    (tmp_path / "q.jsonl").write_text(json.dumps({"id": "q1", "question": "Which city is the capital of capitals?",
                                                  "answers": ["Paris"], "gold_ids": ["d2"]}) + "\n")


def keyword_cross_encoder(path, word: str, with_token_types: bool = True):
    """A real ONNX graph with a cross-encoder's inputs and a [batch, 1] logit: the score of a pair is the number of
    times `word` occurs in its second segment (the passage). Deterministic, so the ranking is known."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    vocab = tokenizer().get_vocab_size()
    weights = np.zeros((vocab, 1), dtype=np.float32)
    weights[tokenizer().token_to_id(word), 0] = 1.0
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["b", "t"])
              for n in ("input_ids", "attention_mask", "token_type_ids")]
    segment = "token_type_ids" if with_token_types else "attention_mask"
    nodes = [
        helper.make_node("Gather", ["W", "input_ids"], ["g"]),
        helper.make_node("Squeeze", ["g", "axis2"], ["s"]),
        helper.make_node("Mul", [segment, "attention_mask"], ["m_int"]),
        helper.make_node("Cast", ["m_int"], ["m"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["s", "m"], ["p"]),
        helper.make_node("ReduceSum", ["p", "axis1"], ["logits"], keepdims=1),
    ]
    init = [helper.make_tensor("W", TensorProto.FLOAT, weights.shape, weights.flatten().tolist()),
            helper.make_tensor("axis2", TensorProto.INT64, [1], [2]),
            helper.make_tensor("axis1", TensorProto.INT64, [1], [1])]
    graph = helper.make_graph(nodes, "keyword", inputs if with_token_types else inputs[:2],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["b", 1])], init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, str(path))
    return path


def graph_text(tmp_path, rerank_params: str, rewrite: str = "") -> str:
    questions = "questions" if not rewrite else "rewrite.questions"
    rewrite_node = (f"  rewrite: {{op: llm.rewrite, inputs: {{questions: questions}}, params: {{{rewrite}}}}}\n"
                    if rewrite else "")
    return f"""
nodes:
  docs: {{op: load.jsonl, params: {{path: docs.jsonl}}}}
  questions: {{op: load.questions, params: {{path: q.jsonl}}}}
  chunks: {{op: chunk.sentences, inputs: {{documents: docs}}, params: {{size: 50}}}}
  index: {{op: index.build, inputs: {{chunks: chunks}}, params: {{kind: bm25}}}}
{rewrite_node}  retrieve: {{op: retrieve, inputs: {{index: index, questions: {questions}}}, params: {{top_k: 4}}}}
  rerank: {{op: rerank, inputs: {{retrievals: retrieve}}, params: {{{rerank_params}}}}}
"""


def run(tmp_path, text):
    result = run_graph(compile_text(text, base_dir=tmp_path), tmp_path / ".pipe")
    assert result.status == "succeeded", result.error
    return result


def test_cross_encoder_moves_the_matching_passage_first(tmp_path):
    write_data(tmp_path)
    keyword_cross_encoder(tmp_path / "ce.onnx", "france")
    text = graph_text(tmp_path, "backend: cross_encoder, onnx: ce.onnx, top_k: 2, batch_size: 3")
    graph = compile_text(text, base_dir=tmp_path)
    result = run_graph(graph, tmp_path / ".pipe")
    assert result.status == "succeeded", result.error
    from pipec.compiler.store import Store

    values = Store(tmp_path / ".pipe").load_result(result.nodes["rerank"].key)
    hits = values["retrievals"][0].hits
    assert [h.doc_id for h in hits] == ["d2", hits[1].doc_id] and len(hits) == 2
    assert hits[0].score == pytest.approx(1.0) and hits[1].score == pytest.approx(0.0)


def test_cross_encoder_scores_map_back_to_their_pairs_across_sorted_batches(tmp_path):
    keyword_cross_encoder(tmp_path / "ce.onnx", "france", with_token_types=False)
    from pipec.ops.text.minilm import TOKENIZER_FILE

    scorer = CrossEncoder(str(tmp_path / "ce.onnx"), str(TOKENIZER_FILE), 64)
    pairs = [("q", "france " * n + "x " * (10 - n)) for n in (3, 0, 7, 1, 10, 2)]
    for batch in (1, 2, 4, 32):
        # without token types the question's tokens count too ("q" is not "france"), so the score is n
        assert scorer.score(pairs, batch).tolist() == [3.0, 0.0, 7.0, 1.0, 10.0, 2.0]


def test_missing_model_is_a_compile_error_naming_the_parameter(tmp_path):
    write_data(tmp_path)
    with pytest.raises(CompileError) as err:
        compile_text(graph_text(tmp_path, "backend: cross_encoder, onnx: nowhere.onnx"), base_dir=tmp_path)
    messages = " ".join(d.message for d in err.value.diagnostics)
    assert "nowhere.onnx" in messages and "onnx" in messages
    with pytest.raises(CompileError) as err:
        compile_text(graph_text(tmp_path, "backend: cross_encoder"), base_dir=tmp_path)
    assert "needs `onnx:`" in " ".join(d.message for d in err.value.diagnostics)


def test_llm_pointwise_and_listwise_through_the_gateway(tmp_path):
    from pipec.compiler.llm.fake import fake_script

    write_data(tmp_path)
    with fake_script({"Passage: Madrid": "9", "Passage: Rome": "7", "Passage:": "1"}) as script:
        result = run(tmp_path, graph_text(tmp_path, "backend: llm, model: fake/grader"))
    assert len(script.calls) == 4
    from pipec.compiler.store import Store

    store = Store(tmp_path / ".pipe")
    hits = store.load_result(result.nodes["rerank"].key)["retrievals"][0].hits
    assert [h.doc_id for h in hits[:2]] == ["d4", "d3"]
    with fake_script({"Rank the passages": "[3] > [1]"}):
        result = run(tmp_path, graph_text(tmp_path, "backend: llm, model: fake/grader, mode: listwise"))
    before = store.load_result(result.nodes["retrieve"].key)["retrievals"][0].hits
    after = store.load_result(result.nodes["rerank"].key)["retrievals"][0].hits
    assert [h.doc_id for h in after] == [before[2].doc_id, before[0].doc_id, before[1].doc_id, before[3].doc_id]


def test_rank_parsing_and_reorder():
    assert ranks_to_scores("[2] > [1] > [9] > [2]", 3) == [2.0, 3.0, 1.0]
    assert ranks_to_scores("no ranking", 3) is None
    r = Retrieval("q", "?", [Hit(f"c{i}", f"d{i}", "t") for i in range(4)])
    assert [h.chunk_id for h in reorder(r, [0.1, 0.9, 0.5], depth=3, top_k=None).hits] == ["c1", "c2", "c0", "c3"]


@pytest.mark.parametrize("mode,reply,query", [
    ("rewrite", "capital city France Paris", "Which city is the capital of capitals?\ncapital city France Paris"),
    ("decompose", "1. What is a capital?\n2. Which capital is first?\nx",
     "Which city is the capital of capitals?\nWhat is a capital?\nWhich capital is first?"),
    ("hyde", "Paris is the capital of France.", "Which city is the capital of capitals?\nParis is the capital of "
                                                 "France."),
])
def test_rewrite_modes_set_the_search_query(tmp_path, mode, reply, query):
    from pipec.compiler.llm.fake import fake_script

    write_data(tmp_path)
    with fake_script({"Question: Which city": reply}):
        result = run(tmp_path, graph_text(tmp_path, "backend: none", f"model: fake/rw, mode: {mode}"))
    from pipec.compiler.store import Store

    store = Store(tmp_path / ".pipe")
    q = store.load_result(result.nodes["rewrite"].key)["questions"][0]
    assert q.question == "Which city is the capital of capitals?" and q.meta["search_query"] == query
    retrieval = store.load_result(result.nodes["retrieve"].key)["retrievals"][0]
    assert retrieval.question == q.question  # the reader and evaluators keep the user's question
    assert result.metrics["rewrite"]["fallbacks"] == 0.0


def test_rewrite_falls_back_to_the_question_with_a_warning(tmp_path):
    from pipec.compiler.llm.fake import fake_script

    write_data(tmp_path)
    text = "settings: {llm: {max_item_errors: 1, retries: 1}}\n" + graph_text(tmp_path, "backend: none", "model: fake/rw")
    with fake_script({"Question: Which city": "   "}):  # an empty reply: re-asked, then an item error
        result = run(tmp_path, text)
    assert result.metrics["rewrite"]["fallbacks"] == 1.0
    assert any("no usable rewrite reply" in w for w in result.nodes["rewrite"].warnings)
    assert list(result.nodes["rewrite"].item_errors) == ["q1"]  # not memoized: the next run asks again


def test_rewrite_mode_none_passes_the_questions_through_without_a_call(tmp_path):
    from pipec.compiler.llm.fake import fake_script
    from pipec.compiler.store import Store

    write_data(tmp_path)
    with fake_script({"Question: Which city": "capital city France Paris"}) as script:
        result = run(tmp_path, graph_text(tmp_path, "backend: none", "mode: none"))  # no model needed
    assert script.calls == []
    q = Store(tmp_path / ".pipe").load_result(result.nodes["rewrite"].key)["questions"][0]
    assert "search_query" not in q.meta and q.question == "Which city is the capital of capitals?"
    assert result.metrics["rewrite"]["llm_calls"] == 0.0 and result.metrics["rewrite"]["items"] == 1.0


def test_rewrite_modes_but_none_need_a_model(tmp_path):
    write_data(tmp_path)
    with pytest.raises(CompileError) as err:
        compile_text(graph_text(tmp_path, "backend: none", "mode: rewrite"), base_dir=tmp_path)
    assert "mode rewrite needs `model:`" in " ".join(d.message for d in err.value.diagnostics)


@pytest.mark.slow
def test_tune_example_rewrite_and_rerank_choices_run_offline(tmp_path, repo):
    """Every rewrite mode and reranker of examples/rag/tune.yaml's space runs with its default (fake) models, no key;
    the `none` choices give the hits of retrieving top_k directly."""
    import yaml
    from pipec.compiler.api import run_file
    from pipec.compiler.store import Store

    graph = repo / "examples" / "rag" / "tune.yaml"
    space = yaml.safe_load(graph.read_text())["tune"]["space"]
    assert space["rewrite_mode"][0] == "none" and space["rerank"][0] == "none"
    base = ["embedder=hashing", "questions=4"]
    results = {}
    for mode, backend in [("none", "none"), *[(m, "llm") for m in space["rewrite_mode"][1:]]]:
        result = run_file(graph, [*base, f"rewrite_mode={mode}", f"rerank={backend}"], store=tmp_path / "s")
        assert result.status == "succeeded", result.error
        results[mode] = result
    store = Store(tmp_path / "s")
    plain = run_file(graph, [*base, "rerank_depth=5"], store=store).nodes["retrieve"].key
    hits = [[h.chunk_id for h in r.hits] for r in store.load_result(results["none"].nodes["rerank"].key)["retrievals"]]
    assert hits == [[h.chunk_id for h in r.hits] for r in store.load_result(plain)["retrievals"]]
    assert results["none"].metrics["rewrite"]["llm_calls"] == 0.0
    assert results["hyde"].metrics["rewrite"]["llm_calls"] + results["hyde"].metrics["rewrite"]["cache_hits"] == 4.0
    store.close()
