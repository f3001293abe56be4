"""Fixtures for the LLM gateway tests: a gateway on a fresh store with fast retries, and graph helpers."""

from __future__ import annotations

import pytest
from pipec.compiler.spec import LLMSettings


def pytest_configure(config):
    # litellm's response types make pydantic warn on first use; the gateway silences it outside pytest, but pytest
    # resets warning filters around every test.
    config.addinivalue_line("filterwarnings", "ignore:.*using the `ReadOnly` qualifier:UserWarning")


@pytest.fixture
def make_gateway(store):
    from pipec.compiler.llm.gateway import Gateway

    def make(use_cache: bool = True, run_id: str = "run-test", **settings):
        settings.setdefault("backoff_s", 0.001)
        return Gateway(store=store, settings=LLMSettings(**settings), run_id=run_id, use_cache=use_cache)

    return make


@pytest.fixture
def llm(make_gateway):
    """A node-bound gateway ("node-a") on a tmp store."""
    return make_gateway().bind(node="node-a")


@pytest.fixture
def logged(store):
    """logged(**where) -> the llm_calls rows (dicts), oldest first."""

    def rows(**where):
        sql = "SELECT * FROM llm_calls"
        if where:
            sql += " WHERE " + " AND ".join(f"{k}=?" for k in where)
        return store.query(sql + " ORDER BY id", tuple(where.values()))

    return rows
