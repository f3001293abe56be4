"""The fake provider's scripts (in-process and file), embeddings through the gateway, and the local model."""

from __future__ import annotations

import numpy as np
import pytest
from pipec.compiler.llm.fake import ENV_VAR, FakeScript, current_script, fake_script, load_script_file


def test_list_script_replies_in_order_and_repeats_the_last(llm):
    with fake_script(["a", "b"]):
        texts = [llm.complete_sync("fake/x", f"p{i}").text for i in range(3)]
    assert texts == ["a", "b", "b"]


def test_mapping_first_key_wins_and_dicts_are_json(llm):
    with fake_script({"cat": {"animal": "cat"}, "ca": "second"}, default="unknown"):
        assert llm.complete_sync("fake/x", "a cat").text == '{"animal": "cat"}'
        assert llm.complete_sync("fake/x", "nothing here").text == "unknown"


def test_script_context_restores_the_previous_script(llm):
    outer = fake_script(["outer"])
    try:
        with fake_script(["inner"]):
            assert current_script().responses == ["inner"]
        assert current_script() is outer.script
    finally:
        outer.close()


def test_script_file_through_the_environment(tmp_path, monkeypatch, llm):
    path = tmp_path / "script.yaml"
    path.write_text("responses:\n  hello: from the file\nlatency: 0\n")
    monkeypatch.setenv(ENV_VAR, str(path))
    assert llm.complete_sync("fake/x", "hello there").text == "from the file"
    path.write_text('{"responses": ["json script"]}')  # JSON works too; reloaded when the file changes
    import os

    os.utime(path, (1, 1))
    assert llm.complete_sync("fake/x", "another").text == "json script"


def test_bad_script_files_are_explained(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("respones: {}\n")
    with pytest.raises(ValueError, match="unknown key.*respones"):
        load_script_file(bad)
    with pytest.raises(ValueError, match="'error' must be one of"):
        FakeScript(failures=[{"error": "meteor"}])


def test_embeddings_are_float32_cached_per_text(llm, logged):
    with fake_script(embedding_dim=32) as script:
        first = llm.embed_sync("fake/emb", ["red apple", "green apple", "red apple"])
        second = llm.embed_sync("fake/emb", ["green apple", "blue sky"])
    assert first.shape == (3, 32) and first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(first[0], first[2])
    np.testing.assert_array_equal(first[1], second[0])
    assert float(first[0] @ first[1]) > float(first[0] @ second[1])  # shared word -> more similar
    assert [c["input"] for c in script.calls] == [["red apple", "green apple"], ["blue sky"]]
    assert len(logged()) == 2 and llm.gateway.calls_made == 2


def test_embedding_errors_are_gateway_errors(llm):
    from pipec.compiler.llm import LLMAuthError

    with fake_script(failures=[{"error": "auth"}]):
        with pytest.raises(LLMAuthError):
            llm.embed_sync("fake/emb", ["x"])


# --- the real local model (optional extra) -----------------------------------------------------------------

def _local_or_skip():
    from pipec.compiler.llm.local import available

    reason = available("smollm2")
    if reason:
        pytest.skip(f"local/smollm2 not available: {reason}")


@pytest.mark.local_llm
def test_local_model_generates_text(llm):
    _local_or_skip()
    resp = llm.complete_sync("local/smollm2", "What is the capital of France? Answer in one word.", max_tokens=16)
    assert resp.text.strip() and resp.completion_tokens > 0 and resp.prompt_tokens > 0
    assert resp.cost_usd is None  # a local model has no price: unknown, not an error


@pytest.mark.local_llm
def test_local_model_structured_output_is_grammar_constrained(llm):
    _local_or_skip()
    from pydantic import BaseModel

    class Person(BaseModel):
        name: str
        born: int

    res = llm.structured_sync("local/smollm2", "Alan Turing was born in London in 1912. Give his name and birth "
                              "year.", schema=Person, max_tokens=60)
    assert res.ok, res.error
    assert len(res.responses) == 1  # valid JSON on the first try: the grammar enforces the schema
    assert isinstance(res.value.born, int) and res.value.name
