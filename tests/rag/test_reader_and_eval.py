import asyncio

import pytest
from pipec.ops.data import Answer, Hit, Retrieval
from pipec.ops.text.embedders import parse_embedder
from pipec.ops.text.evaluators import EvalAnswers, EvalRetrieval
from pipec.ops.text.reader import ReadExtractive, question_type

from .helpers import DOCS, QUESTIONS, ctx


def retrieval(q, docs):
    return Retrieval(q.id, q.question, [Hit(f"{d.id}#0", d.id, d.text, d.title, 1.0 / (i + 1))
                                        for i, d in enumerate(docs)])


def recording_ctx():
    c = ctx()
    c.rows = []
    c.record_items = lambda rows, id_key="id": c.rows.extend(rows)
    return c


def test_question_types():
    assert question_type("When was it built?") == "date"
    assert question_type("How many nodes run?") == "number"
    assert question_type("Who wrote it?") == "person"
    assert question_type("Which command lists ops?") == "code"


@pytest.mark.parametrize("embedder", [None, "minilm"])
def test_extractive_reader_picks_answer_spans(embedder):
    by_title = {d.title: d for d in DOCS}
    rets = [retrieval(QUESTIONS[0], [by_title["Paris"], by_title["Berlin"]]),
            retrieval(QUESTIONS[1], [by_title["Faiss"], by_title["Python"]]),
            retrieval(QUESTIONS[2], [by_title["Eiffel Tower"], by_title["Paris"]])]
    spec = parse_embedder(embedder) if embedder else None
    out = asyncio.run(ReadExtractive(ReadExtractive.Params()).run(ctx(), retrievals=rets, embedder=spec))
    answers = {a.qid: a for a in out["answers"]}
    assert answers["q1"].text == "Berlin"
    assert answers["q2"].text == "Guido van Rossum"
    assert answers["q3"].text == "1889"
    assert answers["q3"].evidence == ["tower#0"]


def test_reader_sentence_mode_and_empty_retrieval():
    rets = [retrieval(QUESTIONS[2], [DOCS[2]]), Retrieval("qx", "Anything?", [])]
    out = asyncio.run(ReadExtractive(ReadExtractive.Params(output="sentence")).run(ctx(), retrievals=rets))
    assert out["answers"][0].text.startswith("The Eiffel Tower was completed in 1889")
    assert out["answers"][1].error == "no retrieved text to read"


def test_eval_answers_metrics_and_rows():
    answers = [Answer("q1", "Berlin"), Answer("q2", "Guido van Rossum, a Dutch programmer"), Answer("q3", "1900")]
    c = recording_ctx()
    rets = [retrieval(QUESTIONS[0], DOCS[:2])]
    m = EvalAnswers(EvalAnswers.Params()).run(c, answers=answers, questions=QUESTIONS, retrievals=rets)["metrics"]
    assert m["em"] == pytest.approx(1 / 3)
    assert m["answer_recall"] == pytest.approx(2 / 3)
    assert 1 / 3 < m["f1"] < 2 / 3
    assert [r["id"] for r in c.rows] == ["q1", "q2", "q3"]
    assert c.rows[0]["hits"][0]["title"] == "Paris" and c.rows[0]["gold"] == ["Berlin"]


def test_eval_retrieval_by_title_and_id():
    by_title = {d.title: d for d in DOCS}
    rets = [retrieval(QUESTIONS[0], [by_title["Paris"], by_title["Berlin"]]),
            retrieval(QUESTIONS[1], [by_title["Python"]]),
            retrieval(QUESTIONS[2], [by_title["Faiss"]])]
    c = recording_ctx()
    m = EvalRetrieval(EvalRetrieval.Params(ks=[1, 2])).run(c, retrievals=rets, questions=QUESTIONS)["metrics"]
    assert m["recall@1"] == pytest.approx(1 / 3)
    assert m["recall@2"] == pytest.approx(2 / 3)
    assert m["mrr"] == pytest.approx((0.5 + 1 + 0) / 3)
    assert m["evaluated"] == 3 and len(c.rows) == 3
    questions = [QUESTIONS[0].__class__("q1", "?", gold_ids=["berlin"])]
    m = EvalRetrieval(EvalRetrieval.Params(ks=[1], by="id")).run(recording_ctx(), retrievals=rets[:1],
                                                                 questions=questions)["metrics"]
    assert m["recall@1"] == 0.0 and m["mrr"] == 0.5
