"""`pipe serve`: a graph with request inputs as an HTTP service (FastAPI + uvicorn, the `serve` extra)."""
