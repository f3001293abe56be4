"""The edge scorer: weak-supervision labels, training, beam search; real answers on the toy KG."""

import pickle

import numpy as np
import pytest
from pipec.ops.kg.graph import KGError, KnowledgeGraph
from pipec.ops.kg.metrics import answer_scores
from pipec.ops.kg.paths import label_paths
from pipec.ops.kg.search import SearchKG
from pipec.ops.kg.train import TrainScorer, gold_ids, topic_ids

from .helpers import ctx, toy_kg, toy_questions


@pytest.fixture(scope="module")
def kg():
    return toy_kg()


@pytest.fixture(scope="module")
def model(kg):
    return TrainScorer(TrainScorer.Params()).run(ctx(), kg=kg, questions=toy_questions("train"))["model"]


def test_labels_are_the_relation_paths_that_reach_the_answers(kg):
    q = next(q for q in toy_questions("all", 2) if q.question.startswith("which movies share the director of"))
    label = label_paths(kg, topic_ids(kg, q), gold_ids(kg, q), [2])
    assert [[kg.action_name(a) for a in p] for p in label.paths] == [["directed_by", "directed_by^-1"]]
    assert label.f1 == 1.0


def test_held_out_questions_are_answered_per_hop(kg, model):
    for hops in (1, 2, 3):
        questions = toy_questions("eval", hops)
        answers = SearchKG(SearchKG.Params()).run(ctx(), kg=kg, model=model, questions=questions)["answers"]
        scores = answer_scores(answers, questions)
        assert scores["hits@1"] >= 0.95, (hops, scores)
        assert scores["micro_f1"] >= 0.95 and scores["llm_calls_per_question"] == 0
        assert all(a.meta["path"] and len(a.meta["path"]) == hops for a in answers if not a.error)


def test_answer_is_grounded_in_the_predicted_path(kg, model):
    q = toy_questions("eval", 3)[0]
    a = SearchKG(SearchKG.Params()).run(ctx(), kg=kg, model=model, questions=[q])["answers"][0]
    start = [kg.entity_id(q.topic_entities[0])]
    reached = kg.walk(start, [kg.action_id(r) for r in a.meta["path"]])
    assert sorted(a.answers) == sorted(kg.entities[i] for i in reached)
    assert a.evidence[0].startswith(q.topic_entities[0] + " -> ")


def test_model_pickles_and_refuses_another_kg(kg, model):
    back = pickle.loads(pickle.dumps(model))
    assert np.array_equal(back.W, model.W)
    other = KnowledgeGraph.from_triples([("a", "likes", "b")])
    with pytest.raises(KGError, match="other relations"):
        SearchKG(SearchKG.Params()).run(ctx(), kg=other, model=model, questions=[])


def test_no_labelled_question_is_an_error(kg):
    from pipec.ops.data import Question

    bad = [Question("x", "who?", answers=["nobody"], topic_entities=["nothing"])]
    with pytest.raises(KGError, match="no training question"):
        TrainScorer(TrainScorer.Params()).run(ctx(), kg=kg, questions=bad)


def test_edge_scorer_example_runs_offline(repo, tmp_path):
    from pipec.compiler.api import compile_file, run_graph

    result = run_graph(compile_file(repo / "examples/metaqa/edge_scorer.yaml"), tmp_path / ".pipe")
    assert result.status == "succeeded", result.error
    metrics = result.metrics["metrics"]
    assert metrics["hits@1"] >= 0.95 and metrics["questions"] == 68
    assert {"hits@1_1hop", "hits@1_2hop", "hits@1_3hop"} <= set(metrics)


def test_trained_scorer_is_a_memoized_artifact(repo, tmp_path):
    from pipec.compiler.api import compile_file, run_graph

    graph = repo / "examples/metaqa/edge_scorer.yaml"
    run_graph(compile_file(graph), tmp_path / ".pipe")
    again = run_graph(compile_file(graph, ["hops=2", "beam_size=3"]), tmp_path / ".pipe")
    assert again.status == "succeeded" and again.nodes["scorer"].cache_hit
    assert not again.nodes["answers"].cache_hit and again.metrics["metrics"]["hits@1"] >= 0.95


@pytest.mark.slow
@pytest.mark.data
def test_edge_scorer_on_shared_metaqa(repo, tmp_path, shared_data):
    from pipec.compiler.api import compile_file, run_graph

    overrides = [f"data_dir={shared_data / 'metaqa'}", "hops=3", "eval_limit=500"]
    result = run_graph(compile_file(repo / "examples/metaqa/edge_scorer.yaml", overrides), tmp_path / ".pipe")
    assert result.status == "succeeded", result.error
    assert result.metrics["metrics"]["hits@1"] >= 0.97
