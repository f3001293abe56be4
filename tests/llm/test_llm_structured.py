"""Structured output: schema passed natively, lenient parsing, JSON repair, one corrective re-ask, per-item
failure as a result (not an exception)."""

from __future__ import annotations

import json

from pipec.compiler.llm.fake import fake_script
from pipec.compiler.llm.structured import parse_structured, schema_instruction
from pydantic import BaseModel


class Person(BaseModel):
    name: str
    age: int


def test_valid_json_first_time(llm):
    with fake_script(['{"name": "Ann", "age": 31}']) as script:
        res = llm.structured_sync("fake/x", "who?", schema=Person, item="p1")
    assert res.ok and res.value == Person(name="Ann", age=31) and len(res.responses) == 1
    fmt = script.calls[0]["params"]["response_format"]  # the fake supports JSON schemas natively
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"]["required"] == ["name", "age"]


def test_prose_fences_and_broken_json_are_repaired_without_reasking():
    cases = ['Sure! ```json\n{"name": "Bo", "age": 2}\n```', "Here: {'name': 'Bo', 'age': 2,}",
             '{"name": "Bo", "age": 2', 'The answer is {"name": "Bo", "age": "2"} as asked.']
    for text in cases:
        value, error = parse_structured(text, Person)
        assert error is None and value == Person(name="Bo", age=2), text


def test_parse_errors_name_the_field():
    assert parse_structured("", Person) == (None, "the reply is empty")
    value, error = parse_structured('{"name": "Bo", "age": "old"}', Person)
    assert value is None and "field 'age'" in error
    assert parse_structured("no json at all", Person)[0] is None


def test_corrective_reask_fixes_the_reply(llm, logged):
    with fake_script({"who": ['{"name": "Bo", "age": "unknown"}', '{"name": "Bo", "age": 7}']}) as script:
        res = llm.structured_sync("fake/x", "who is Bo?", schema=Person)
    assert res.ok and res.value.age == 7 and len(script.calls) == 2
    reask = script.calls[1]["messages"]
    assert reask[-2] == {"role": "assistant", "content": '{"name": "Bo", "age": "unknown"}'}
    assert "field 'age'" in reask[-1]["content"] and "JSON schema" in reask[-1]["content"]
    assert len(logged()) == 2


def test_still_invalid_after_reask_is_a_per_item_error(llm):
    with fake_script({"who": "I would rather not say."}) as script:
        res = llm.structured_sync("fake/x", "who?", schema=Person)
    assert res.value is None and not res.ok and len(script.calls) == 4  # re-asked within the retry budget (3)
    assert res.error.startswith("model fake/x gave no valid reply in 4 attempts: the reply is not JSON")
    assert res.raw == "I would rather not say."


def test_refused_request_becomes_the_result_error(llm):
    with fake_script(["{}"], failures=[{"error": "bad_request", "times": 1}]):
        res = llm.structured_sync("fake/x", "who?", schema=Person)
    assert res.value is None and "refused the request" in res.error


def test_unscripted_fake_follows_the_schema(llm):
    with fake_script():
        res = llm.structured_sync("fake/x", "Describe someone", schema=Person)
    assert res.ok and isinstance(res.value.age, int)


def test_providers_without_schema_support_get_an_instruction(llm, monkeypatch):
    from pipec.compiler.llm import gateway

    monkeypatch.setattr(gateway, "supports_schema", lambda model: False)
    with fake_script(['{"name": "Cy", "age": 1}']) as script:
        res = llm.structured_sync("fake/x", [{"role": "system", "content": "Be exact."},
                                             {"role": "user", "content": "who?"}], schema=Person)
    sent = script.calls[0]
    assert res.ok and "response_format" not in sent["params"]
    assert sent["messages"][0]["content"].startswith("Be exact.\n\nReply with a single JSON object")
    assert json.dumps(Person.model_json_schema()) in schema_instruction(Person)


class Triple(BaseModel):
    subject: str
    relation: str
    object: str


class Triples(BaseModel):
    triples: list[Triple]
    confidence: float | None = None


def test_nested_schemas_scripted_and_unscripted(llm):
    reply = {"triples": [{"subject": "Curie", "relation": "born_in", "object": "Warsaw"}]}
    with fake_script({"Curie": reply}):
        res = llm.structured_sync("fake/kg", "Marie Curie was born in Warsaw.", schema=Triples)
    assert res.ok and res.value.triples[0].object == "Warsaw" and res.value.confidence is None
    with fake_script():
        res = llm.structured_sync("fake/kg", "Anything at all", schema=Triples)
    assert res.ok and len(res.value.triples) == 1 and isinstance(res.value.triples[0].subject, str)
