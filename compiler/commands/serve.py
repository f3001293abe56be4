"""`pipe serve G.yaml`: answer requests over HTTP (POST /run, GET /health, GET /graph); needs `pipec[serve]`."""

from __future__ import annotations

import os
import sys

from .common import add_graph_options, add_store_option
from .ranges import COUNT, PORT, USD

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def add_arguments(parser):
    add_graph_options(parser)
    add_store_option(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; anything else "
                                                             "is reachable from other machines: use --token-env)")
    parser.add_argument("--port", type=PORT, default=8000, help="port (default 8000; 0 picks a free one)")
    parser.add_argument("--token-env", metavar="NAME", help="require 'Authorization: Bearer <token>', the token "
                                                            "read from environment variable NAME")
    parser.add_argument("--max-usd-per-request", type=USD, metavar="X", help="LLM budget of each request")
    parser.add_argument("--max-calls-per-request", type=COUNT, metavar="N", help="uncached LLM calls per request")
    parser.add_argument("--json", action="store_true", help="print the serving address as one JSON line once "
                                                            "ready (for scripts)")


def host_warning(host: str, has_token: bool) -> str | None:
    """The warning printed when the service binds an address other machines can reach."""
    if host in LOOPBACK:
        return None
    return (f"warning: binding {host}: the service is reachable from other machines"
            + ("" if has_token else "; anyone who can reach it can run requests (use --token-env)"))


def run(args) -> int:
    import json
    import socket

    from ..errors import UsageError
    from .common import compile_graph, open_store

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0..65535, got {args.port}")
    for flag in ("max_usd_per_request", "max_calls_per_request"):
        if getattr(args, flag) is not None and getattr(args, flag) < 0:
            raise UsageError(f"--{flag.replace('_', '-')} must be >= 0")
    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ModuleNotFoundError as exc:
        raise UsageError(f"pipe serve needs the serve extra ({exc.name} is missing): pip install 'pipec[serve]'") from None
    token = None
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            raise UsageError(f"--token-env {args.token_env}: the environment variable is not set or empty")
    warning = host_warning(args.host, token is not None)
    if warning:
        print(warning, file=sys.stderr)

    from pipec.serve.app import create_app
    from pipec.serve.service import Service

    graph = compile_graph(args)
    store = open_store(args)
    service = Service(graph, store, max_usd_per_request=args.max_usd_per_request,
                      max_calls_per_request=args.max_calls_per_request)
    static = service.start()
    cached = sum(1 for r in static.nodes.values() if r.cache_hit)
    print(f"static part: run {static.run_id}, {len(static.nodes)} nodes ({cached} memoized) in "
          f"{static.duration_s:.2f}s", file=sys.stderr)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it a kept-alive connection waits ~40 ms per reply (Nagle's
    # algorithm holding the reply's second segment until the client's delayed ACK), measured in bench/serve.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        raise UsageError(f"cannot bind {args.host}:{args.port}: {exc.strerror}") from None
    port = sock.getsockname()[1]
    url = f"http://{args.host if family == socket.AF_INET else f'[{args.host}]'}:{port}"
    if args.json:
        print(json.dumps({"url": url, "host": args.host, "port": port, "static_run": static.run_id}), flush=True)
    print(f"serving {graph.name} on {url} (POST /run, GET /health, GET /graph, docs at /docs)", file=sys.stderr,
          flush=True)
    config = uvicorn.Config(create_app(service, token), log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        store.close()
    return 0
