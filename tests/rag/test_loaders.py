import gzip
import json

import pytest
from pipec.compiler.errors import PipeError
from pipec.ops.text.datasets import DataError
from pipec.ops.text.loaders import (
    LoadDataset,
    LoadFolder,
    LoadJsonl,
    LoadQuestions,
    detect_format,
    read_dataset,
)
from pipec.ops.text.sampling import subset

from .helpers import ctx


def rctx(base):
    c = ctx()
    c.resolve_path = lambda p: base / p
    return c


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_subset_is_deterministic_and_ordered():
    items = list(range(100))
    a, b = subset(items, sample=10, seed=3), subset(items, sample=10, seed=3)
    assert a == b and a == sorted(a) and len(a) == 10
    assert subset(items, sample=10, seed=4) != a
    assert subset(items, limit=3) == [0, 1, 2]
    assert subset(items, sample=10, seed=3, limit=2) == a[:2]


def test_load_folder_titles_ids_and_subset(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.md").write_text("# Alpha doc\nbody")
    (tmp_path / "sub" / "b.txt").write_text("plain text")
    (tmp_path / "skip.bin").write_text("x")
    docs = LoadFolder(LoadFolder.Params(path=".")).run(rctx(tmp_path))["documents"]
    assert [(d.id, d.title) for d in docs] == [("a.md", "Alpha doc"), ("sub/b.txt", "b")]
    assert len(LoadFolder(LoadFolder.Params(path=".", limit=1)).run(rctx(tmp_path))["documents"]) == 1


def test_load_jsonl_documents_and_errors(tmp_path):
    write_jsonl(tmp_path / "d.jsonl", [{"id": 1, "text": "hello", "title": "T", "lang": "en"}])
    docs = LoadJsonl(LoadJsonl.Params(path="d.jsonl")).run(rctx(tmp_path))["documents"]
    assert docs[0].id == "1" and docs[0].meta == {"lang": "en"}
    (tmp_path / "bad.jsonl").write_text('{"id": 1, "text": "ok"}\n{"id": 2, "txt": "oops"}\n')
    with pytest.raises(DataError) as err:
        LoadJsonl(LoadJsonl.Params(path="bad.jsonl")).run(rctx(tmp_path))
    assert "bad.jsonl" in str(err.value) and "line 2" in str(err.value) and "'text'" in str(err.value)
    assert isinstance(err.value, PipeError)
    (tmp_path / "broken.jsonl").write_text('{"id": 1,\n')
    with pytest.raises(DataError, match="broken.jsonl, record at line 1: invalid JSON"):
        LoadJsonl(LoadJsonl.Params(path="broken.jsonl")).run(rctx(tmp_path))


def test_pipec_layout(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "x.md").write_text("# X\ntext")
    write_jsonl(tmp_path / "questions.jsonl", [{"id": "a", "question": "q?", "answer": "x", "gold_titles": "X"}])
    out = LoadDataset(LoadDataset.Params(path=".")).run(rctx(tmp_path))
    assert [d.title for d in out["documents"]] == ["X"]
    q = out["questions"][0]
    assert (q.id, q.answers, q.gold_titles) == ("a", ["x"], ["X"])
    only = LoadQuestions(LoadQuestions.Params(path=".")).run(rctx(tmp_path))
    assert list(only) == ["questions"]


def test_questions_type_error_names_field(tmp_path):
    write_jsonl(tmp_path / "questions.jsonl", [{"question": "ok?"}, {"question": 3}])
    with pytest.raises(DataError, match=r"record at line 2, field 'question': expected str, got int"):
        read_dataset(tmp_path)


def hotpot_record(i):
    return {"_id": f"h{i}", "question": f"Question {i}?", "answer": "yes", "type": "bridge", "level": "easy",
            "supporting_facts": [["A", 0], ["B", 1]],
            "context": [["A", ["A is first.", " It links to B."]], ["B", ["B is second."]], ["C", ["noise"]]]}


def test_hotpotqa(tmp_path):
    (tmp_path / "hotpot_dev.json").write_text(json.dumps([hotpot_record(0), hotpot_record(1)]))
    (tmp_path / "hotpot_corpus.json").write_text("{}")
    assert detect_format(tmp_path)[0] == "hotpotqa"
    docs, qs = read_dataset(tmp_path)
    assert [d.id for d in docs] == ["A", "B", "C"]  # pooled and deduplicated
    assert docs[0].text == "A is first. It links to B."
    assert qs[0].gold_titles == ["A", "B"] and qs[0].answers == ["yes"]
    bad = hotpot_record(2)
    bad["context"][1] = ["B", "not a list"]
    (tmp_path / "hotpot_dev.json").write_text(json.dumps([hotpot_record(0), bad]))
    with pytest.raises(DataError, match=r"record #1 \(id h2\), field 'context': paragraph 1"):
        read_dataset(tmp_path)


def test_musique(tmp_path):
    rec = {"id": "m1", "question": "Who?", "answer": "Hall", "answer_aliases": ["G. Hall"],
           "question_decomposition": [{}, {}],
           "paragraphs": [{"idx": 0, "title": "T1", "paragraph_text": "p1", "is_supporting": True},
                          {"idx": 1, "title": "T2", "paragraph_text": "p2", "is_supporting": False}]}
    (tmp_path / "musique_x.json").write_text(json.dumps([rec]))
    docs, qs = read_dataset(tmp_path)
    assert len(docs) == 2 and qs[0].answers == ["Hall", "G. Hall"] and qs[0].gold_titles == ["T1"]
    assert qs[0].gold_ids == [docs[0].id] and qs[0].meta["hops"] == 2
    (tmp_path / "musique_x.json").unlink()
    (tmp_path / "musique_ans_dev.jsonl").write_text(json.dumps(rec) + "\n")  # the official layout
    docs2, qs2 = read_dataset(tmp_path)
    assert [d.id for d in docs2] == [d.id for d in docs] and qs2[0].answers == qs[0].answers


def test_squad_skips_unanswerable_by_default(tmp_path):
    data = {"data": [{"title": "Art", "paragraphs": [{"context": "ctx", "qas": [
        {"id": "s1", "question": "q1", "answers": [{"text": "a", "answer_start": 0}]},
        {"id": "s2", "question": "q2", "answers": [], "is_impossible": True}]}]}]}
    (tmp_path / "squad_dev.json").write_text(json.dumps(data))
    assert [q.id for q in read_dataset(tmp_path)[1]] == ["s1"]
    assert [q.id for q in read_dataset(tmp_path, include_unanswerable=True)[1]] == ["s1", "s2"]
    assert read_dataset(tmp_path)[1][0].gold_ids == ["Art#0"]


def test_nq_open_gz(tmp_path):
    with gzip.open(tmp_path / "nq-open.jsonl.gz", "wt") as f:
        f.write(json.dumps({"question": "who?", "answers": ["X"],
                            "ctxs": [{"title": "T", "text": "X did it", "isgold": True}]}) + "\n")
    docs, qs = read_dataset(tmp_path)
    assert qs[0].gold_titles == ["T"] and docs[0].title == "T" and qs[0].gold_ids == [docs[0].id]


def test_metaqa(tmp_path):
    (tmp_path / "kb.txt").write_text("Film A|directed_by|Ann\nFilm A|release_year|1999\n")
    (tmp_path / "qa_dev_1hop.txt").write_text("who directed [Film A]\tAnn\n")
    docs, qs = read_dataset(tmp_path)
    assert qs[0].question == "who directed Film A" and qs[0].topic_entities == ["Film A"]
    assert qs[0].meta["hops"] == 1 and docs[0].text == "Film A directed by Ann. Film A release year 1999."
    (tmp_path / "qa_dev_1hop.txt").write_text("no tab here\n")
    with pytest.raises(DataError, match="line 1"):
        read_dataset(tmp_path)


def test_unknown_folder_is_a_clear_error(tmp_path):
    (tmp_path / "notes.csv").write_text("a,b")
    with pytest.raises(DataError, match="no known question set"):
        read_dataset(tmp_path)


@pytest.mark.data
def test_shared_hotpotqa_and_musique(shared_data):
    docs, qs = read_dataset(shared_data / "hotpotqa")
    assert len(qs) == 100 and len(docs) == 994
    assert all(len(q.gold_titles) == 2 for q in qs)
    docs, qs = read_dataset(shared_data / "musique")
    assert len(qs) == 100 and len(docs) == 1890


@pytest.mark.data
def test_shared_other_formats(shared_data):
    _, qs = read_dataset(shared_data / "squad")
    assert len(qs) == 6078 - 3168
    _, qs = read_dataset(shared_data / "nq_open")
    assert len(qs) == 2655 and all(q.answers for q in qs)
    _, qs = read_dataset(shared_data / "metaqa" / "qa_dev_1hop.txt", "metaqa")
    assert len(qs) == 9992 and all(q.topic_entities for q in qs[:100])


def test_an_ambiguous_data_folder_is_refused_and_file_picks_one(tmp_path):
    import json

    row = {"_id": "h1", "question": "Q?", "answer": "A", "context": [["T", ["A is here."]]],
           "supporting_facts": [["T", 0]], "type": "bridge", "level": "easy"}
    (tmp_path / "hotpot_a.json").write_text(json.dumps([row]))
    (tmp_path / "hotpot_b.json").write_text(json.dumps([{**row, "_id": "h2"}]))
    with pytest.raises(DataError, match=r"holds 2 question sets \(hotpot_a.json, hotpot_b.json\); set `file:`"):
        LoadDataset(LoadDataset.Params(path=".")).run(rctx(tmp_path))
    out = LoadDataset(LoadDataset.Params(path=".", file="hotpot_b.json")).run(rctx(tmp_path))
    assert [q.id for q in out["questions"]] == ["h2"]
    with pytest.raises(DataError, match="no such file"):
        LoadDataset(LoadDataset.Params(path=".", file="nope.json")).run(rctx(tmp_path))


def test_a_missing_path_suggests_the_parameter_that_holds_it(tmp_path):
    from pipec.compiler.api import compile_text
    from pipec.compiler.errors import CompileError

    text = """
params: {corpus_dir: nowhere}
nodes:
  data: {op: load.dataset, params: {path: "${corpus_dir}/x"}}
  docs: {op: load.folder, params: {path: also-nowhere}}
"""
    with pytest.raises(CompileError) as err:
        compile_text(text, base_dir=tmp_path)
    fixes = [d.fix for d in err.value.diagnostics]
    assert "pass --set corpus_dir=PATH" in fixes[0] and "pass --set docs.path=PATH" in fixes[1]
