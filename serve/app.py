"""The HTTP face of a `Service`: POST /run, GET /health, GET /graph (FastAPI; OpenAPI at /docs and
/openapi.json, generated from the graph's declared input and output types)."""

import secrets
from typing import Any

from .models import raw_inputs, request_model, response_model
from .service import Service

STATUS_CODES = {"succeeded": 200, "budget_exceeded": 402, "failed": 500, "interrupted": 503}


def create_app(service: Service, token: str | None = None) -> Any:
    from fastapi import Depends, FastAPI, HTTPException, Request
    from fastapi.responses import JSONResponse

    graph = service.graph
    Body = request_model(graph)
    Response = response_model(graph)

    def authorized(request: Request) -> None:
        if token is None:
            return
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(given.strip(), token):
            raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

    app = FastAPI(title=f"pipec: {graph.name}", description=graph.spec.description or f"serves {graph.file}",
                  version="1")

    @app.get("/health")
    def health() -> dict[str, Any]:
        return service.health()

    @app.get("/graph", dependencies=[Depends(authorized)])
    def graph_view() -> dict[str, Any]:
        from pipec.compiler.commands.graph import graph_json
        from pipec.compiler.pictures import to_mermaid

        return {**graph_json(graph), "mermaid": to_mermaid(graph)}

    @app.post("/run", dependencies=[Depends(authorized)], response_model=None,
              responses={200: {"model": Response, "description": "the request's outputs and its run"},
                         402: {"description": "the request reached --max-usd-per-request"},
                         500: {"description": "a node failed (see the run id)"}})
    async def run(body: Body) -> JSONResponse:  # type: ignore[valid-type]
        from pipec.compiler.errors import UsageError

        try:
            result, payload = await service.answer(raw_inputs(body))
        except UsageError as exc:  # a value the types allow but the graph rejects (e.g. a blank question)
            raise HTTPException(422, str(exc)) from None
        return JSONResponse(payload, status_code=STATUS_CODES.get(result.status, 500))

    return app
