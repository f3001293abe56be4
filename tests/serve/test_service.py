"""The service behind `pipe serve`, in process: a failing static part, a failing request, the host warning."""

from __future__ import annotations

import asyncio

import pytest
from pipec.compiler.commands.serve import host_warning
from pipec.compiler.compile import compile_text
from pipec.compiler.errors import UsageError

pytest.importorskip("fastapi", reason="the serve extra (pipec[serve]) is not installed")

from pipec.serve.service import Service, ServiceError  # noqa: E402

STATIC_FAILS = """
inputs:
  x: {type: Number}
nodes:
  broken: {op: core.fail, params: {message: "no corpus"}}
  use: {op: core.add, inputs: {values: [broken, "${x}"]}}
"""

REQUEST_FAILS = """
inputs:
  x: {type: Number}
nodes:
  base: {op: core.value, params: {value: 1}}
  total: {op: core.add, inputs: {values: [base, "${x}"]}}
  boom: {op: core.fail, inputs: {value: total}, params: {message: "bad request"}}
outputs:
  out: boom.value
"""


def test_a_failing_static_part_stops_the_service(store):
    service = Service(compile_text(STATIC_FAILS), store)
    with pytest.raises(ServiceError, match="static part .* did not succeed"):
        service.start()


def test_a_failing_request_is_a_failed_run_and_the_service_goes_on(store):
    service = Service(compile_text(REQUEST_FAILS), store)
    service.start()
    result, body = asyncio.run(service.answer({"x": 2}))
    assert result.status == "failed" and body["status"] == "failed" and "bad request" in body["error"]
    assert body["run_id"].endswith("-req") and store.get_run(body["run_id"])["status"] == "failed"
    assert service.health()["failed_requests"] == 1
    with pytest.raises(UsageError, match="missing request input 'x'"):
        asyncio.run(service.answer({}))


def test_a_graph_without_inputs_cannot_be_served(store):
    with pytest.raises(UsageError, match="declares no request inputs"):
        Service(compile_text("nodes:\n  a: {op: core.value, params: {value: 1}}\n"), store)


def test_the_host_warning():
    assert host_warning("127.0.0.1", False) is None and host_warning("::1", False) is None
    assert "use --token-env" in host_warning("0.0.0.0", False)
    assert "reachable from other machines" in host_warning("0.0.0.0", True)
    assert "--token-env" not in host_warning("0.0.0.0", True)
