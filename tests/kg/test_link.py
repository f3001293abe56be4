"""kg.link: brackets, exact, alias, fuzzy and embedding matching, with scores and methods."""

import asyncio

from pipec.ops.data import Question
from pipec.ops.kg.graph import KnowledgeGraph
from pipec.ops.kg.link import LinkEntities

from .helpers import ctx

KG = KnowledgeGraph.from_triples([("The Silent River", "directed_by", "Ada Berg"),
                                  ("Glass Night", "directed_by", "Bruno Castro"),
                                  ("Glass Night", "release_year", "1999")],
                                 aliases={"Bruno Castro": ["B. Castro"]})


def link(questions, **params):
    op = LinkEntities(LinkEntities.Params(**params))
    return asyncio.run(op.run(ctx(), kg=KG, questions=questions))["questions"]


def test_brackets_then_exact_then_alias_then_fuzzy():
    qs = [Question("b", "who directed The Silent River", topic_entities=["The Silent River"]),
          Question("e", "when was glass night released"),
          Question("a", "what did B. Castro direct"),
          Question("f", "who directed the silent rivr"),
          Question("n", "what is the meaning of life")]
    out = {q.id: q for q in link(qs)}
    assert out["b"].topic_entities == ["The Silent River"] and out["b"].meta["links"][0]["method"] == "brackets"
    assert out["e"].topic_entities == ["Glass Night"] and out["e"].meta["links"][0]["method"] == "exact"
    assert out["a"].topic_entities == ["Bruno Castro"] and out["a"].meta["links"][0]["method"] == "alias"
    fuzzy = out["f"].meta["links"][0]
    assert out["f"].topic_entities == ["The Silent River"] and fuzzy["method"] == "fuzzy" and 0.85 <= fuzzy["score"] < 1
    assert out["n"].topic_entities == []


def test_embedding_matching_links_what_lexical_methods_miss():
    from pipec.ops.text.embedders import parse_embedder

    qs = [Question("x", "Castro Bruno films please")]
    out = asyncio.run(LinkEntities(LinkEntities.Params(methods=["exact", "embedding"], embedding_cutoff=0.3))
                      .run(ctx(), kg=KG, questions=qs, embedder=parse_embedder("hashing:256")))["questions"]
    assert out[0].topic_entities == ["Bruno Castro"] and out[0].meta["links"][0]["method"] == "embedding"
