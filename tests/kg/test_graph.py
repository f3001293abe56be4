"""kg.load and the KnowledgeGraph: parsing, errors with file:line, traversal with inverse edges."""

import pickle

import numpy as np
import pytest
from pipec.ops.kg.graph import KGError, KnowledgeGraph, read_triples

from .helpers import TOY, ctx, toy_kg

TRIPLES = [("Heat", "directed_by", "Michael Mann"), ("Collateral", "directed_by", "Michael Mann"),
           ("Heat", "starred_actors", "Al Pacino"), ("Heat", "release_year", "1995")]


def names(kg, ids):
    return sorted(kg.entities[i] for i in ids)


def test_toy_kb_loads_with_its_relations():
    kg = toy_kg()
    assert len(kg) == 610
    assert set(kg.relations) == {"directed_by", "written_by", "starred_actors", "release_year", "has_genre",
                                 "in_language"}


def test_pipe_and_tab_separated_files(tmp_path):
    (tmp_path / "kb.txt").write_text("Heat|directed_by|Michael Mann\n\n# comment\nHeat|release_year|1995\n")
    (tmp_path / "kb.tsv").write_text("Heat\tdirected_by\tMichael Mann\nA|B\thas_tags\tx|y\n")
    assert read_triples(tmp_path / "kb.txt") == [("Heat", "directed_by", "Michael Mann"),
                                                  ("Heat", "release_year", "1995")]
    assert read_triples(tmp_path / "kb.tsv")[1] == ("A|B", "has_tags", "x|y")


def test_malformed_line_names_file_and_line(tmp_path):
    path = tmp_path / "kb.txt"
    path.write_text("Heat|directed_by|Michael Mann\nbroken line\n")
    with pytest.raises(KGError, match=r"kb.txt:2: expected 'head\|relation\|tail'"):
        read_triples(path)


def test_inverse_edges_and_walk_never_return_the_start():
    kg = KnowledgeGraph.from_triples(TRIPLES)
    heat = kg.entity_id("Heat")
    assert names(kg, kg.walk([heat], [kg.action_id("directed_by")])) == ["Michael Mann"]
    same_director = kg.walk([heat], [kg.action_id("directed_by"), kg.action_id("directed_by^-1")])
    assert names(kg, same_director) == ["Collateral"]
    assert kg.action_id("nope") is None and kg.action_name(kg.action_id("starred_actors^-1")) == "starred_actors^-1"
    assert kg.entity_id("heat") == heat  # case-insensitive fallback


def test_networkx_view_and_pickle_round_trip():
    kg = KnowledgeGraph.from_triples(TRIPLES)
    g = kg.nx
    assert g.number_of_edges() == 4 and g["Heat"]["Al Pacino"][0]["relation"] == "starred_actors"
    back = pickle.loads(pickle.dumps(kg))
    assert back._nx is None and len(back) == 4
    assert np.array_equal(back.walk([0], [back.action_id("directed_by")]), kg.walk([0], [kg.action_id("directed_by")]))


def test_load_op_reads_a_folder_and_reports_missing_files(tmp_path):
    from pipec.ops.kg.load import LoadKG

    assert len(LoadKG(LoadKG.Params(path=str(TOY))).run(ctx())["kg"]) == 610
    with pytest.raises(KGError, match="no triples file"):
        LoadKG(LoadKG.Params(path=str(tmp_path))).run(ctx())


def test_question_split_is_disjoint_and_covers_everything():
    from .helpers import toy_questions

    train, held_out, every = toy_questions("train"), toy_questions("eval"), toy_questions("all")
    assert not {q.id for q in train} & {q.id for q in held_out}
    assert len(train) + len(held_out) == len(every) == 341
    assert all(q.topic_entities and q.meta["hops"] in (1, 2, 3) for q in every)


@pytest.mark.slow
@pytest.mark.data
def test_full_metaqa_kb_loads_in_seconds(shared_data):
    import time

    from pipec.ops.kg.load import LoadKG

    started = time.perf_counter()
    kg = LoadKG(LoadKG.Params(path=str(shared_data / "metaqa"))).run(ctx())["kg"]
    assert len(kg) == 133_582 and len(kg.relations) == 9
    assert time.perf_counter() - started < 10
