"""A misbehaving OpenAI-compatible chat server on an ephemeral 127.0.0.1 port, for fault tests and bench/faults.

    with FaultServer(faults={"q3": "500"}) as server:        # every request whose prompt holds "q3" gets a 500
        ... model "openai/gpt-4o-mini", params {api_base: server.url, api_key: ...}
        server.requests                                     # what arrived: [{"prompt", "auth", "mode"}]
        server.heal()                                       # from now on every request is answered

Modes: 429, 500, 502, 400, 401, 403, 404 (an error body that echoes the request's API key, as some providers
do), hang (no reply for `hang_s`), drop (the connection closes without a reply), malformed (broken JSON),
html (an HTML error page with status 200), nofields (a JSON object without choices), empty (an empty answer),
badjson (an answer that is JSON without the schema's fields); slow (a good answer after `slow_s`). `rate=0.3, seed=7` adds random transient faults
to any request (decided per prompt and attempt, so a run's faults do not depend on the order of requests).
Replies: `answer: <the prompt's last word>`, or for prompts asking for JSON, `{"city": ..., "population": 1}`.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ERROR_STATUS = {"429": 429, "500": 500, "502": 502, "400": 400, "401": 401, "403": 403, "404": 404}
TRANSIENT = ("429", "500", "502", "drop", "malformed", "html", "nofields", "empty")
MODES = (*ERROR_STATUS, "hang", "drop", "malformed", "html", "nofields", "empty", "badjson", "slow")
COMPLETION_TOKENS = 20


class FaultServer:
    def __init__(self, faults: dict[str, str] | None = None, rate: float = 0.0, seed: int = 0,
                 hang_s: float = 3.0, latency_s: float = 0.0, slow_s: float = 1.0, random_modes: tuple[str, ...] = TRANSIENT):
        self.faults = dict(faults or {})
        self.rate, self.seed, self.random_modes = rate, seed, random_modes
        self.hang_s, self.latency_s, self.slow_s = hang_s, latency_s, slow_s
        self.requests: list[dict[str, Any]] = []
        self._attempts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None  # a client that gave up (timeout): quiet
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def heal(self) -> None:
        with self._lock:
            self.faults.clear()
            self.rate = 0.0

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()

    def sent(self, text: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.requests if text is None or text in r["prompt"]]

    # --- deciding a request's fate --------------------------------------------------------------------------
    def mode_for(self, prompt: str) -> str | None:
        with self._lock:
            for marker, mode in self.faults.items():
                if marker in prompt:
                    return mode
            if not self.rate:
                return None
            attempt = self._attempts.get(prompt, 0)
            self._attempts[prompt] = attempt + 1
            digest = hashlib.sha256(f"{self.seed}|{prompt}|{attempt}".encode()).digest()
            if digest[0] / 256 >= self.rate:
                return None
            return self.random_modes[digest[1] % len(self.random_modes)]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                messages = body.get("messages") or []
                prompt = "\n".join(str(m.get("content", "")) for m in messages)
                auth = self.headers.get("Authorization", "")
                mode = server.mode_for(prompt)
                with server._lock:
                    server.requests.append({"prompt": prompt, "auth": auth, "mode": mode, "t": time.time()})
                if server.latency_s:
                    server._stop.wait(server.latency_s)
                self.reply(mode, body, prompt, auth.removeprefix("Bearer "))

            def reply(self, mode: str | None, body: dict, prompt: str, key: str) -> None:
                if mode in ERROR_STATUS:
                    error = {"error": {"message": f"fault {mode}: request refused for key {key}",
                                       "type": "fault", "code": mode}}
                    return self.send(ERROR_STATUS[mode], json.dumps(error).encode())
                if mode == "hang":
                    server._stop.wait(server.hang_s)
                    self.close_connection = True
                    return None
                if mode == "slow":
                    server._stop.wait(server.slow_s)
                if mode == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return None
                if mode == "malformed":
                    return self.send(200, b'{"id": "x", "choices": [{"message": {"content": "trunc')
                if mode == "html":
                    return self.send(200, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
                if mode == "nofields":
                    return self.send(200, b'{"id": "x", "object": "chat.completion"}')
                content = self.answer(prompt, mode, bool(body.get("response_format")))
                reply = {"id": "chatcmpl-fault", "object": "chat.completion", "created": int(time.time()),
                         "model": body.get("model", "m"),
                         "choices": [{"index": 0, "finish_reason": "stop",
                                      "message": {"role": "assistant", "content": content}}],
                         "usage": {"prompt_tokens": max(1, len(prompt.split())),
                                   "completion_tokens": COMPLETION_TOKENS,
                                   "total_tokens": max(1, len(prompt.split())) + COMPLETION_TOKENS}}
                return self.send(200, json.dumps(reply).encode())

            @staticmethod
            def answer(prompt: str, mode: str | None, wants_json: bool) -> str:
                if mode == "empty":
                    return ""
                wants_json = wants_json or "JSON" in prompt
                if mode == "badjson":
                    return json.dumps({"unrelated": True})
                last = prompt.split()[-1] if prompt.split() else ""
                if wants_json:
                    return json.dumps({"city": f"city-{last}", "population": 1})
                return f"answer: {last}"

            def send(self, status: int, data: bytes, content_type: str = "application/json") -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout): fine
                    pass

        return Handler
