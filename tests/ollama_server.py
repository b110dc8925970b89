"""A real HTTP server on 127.0.0.1 speaking the parts of Ollama's API the app uses.

``GET /api/tags`` lists the installed models; ``POST /api/pull`` streams JSON progress lines
(manifest, one layer in steps with ``total``/``completed``, digest, success) and then lists the
model, or streams an ``{"error": …}`` line for a model it does not have; ``GET /v1/models`` is
the OpenAI-compatible list Ollama serves too. Use it as a context manager::

    with ScriptedOllama(installed=["llama3.2:1b"], available={"qwen2.5:3b": 3_000}) as ollama:
        ollama.port, ollama.requests
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ScriptedOllama:
    def __init__(
        self,
        *,
        installed: list[str] | tuple[str, ...] = (),
        available: dict[str, int] | None = None,
        step_delay: float = 0.0,
    ):
        self.installed = list(installed)
        self.available = dict(available or {})  # pullable model → its size in bytes
        self.step_delay = step_delay  # seconds between progress lines
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self._closing = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> ScriptedOllama:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def pull_lines(self, model: str) -> list[dict[str, Any]]:
        if model not in self.available:
            return [
                {"status": "pulling manifest"},
                {"error": "pull model manifest: file does not exist"},
            ]
        size = self.available[model]
        steps = [{"status": "pulling manifest"}]
        for done in (0, size // 4, size // 2, size):
            steps.append(
                {"status": "pulling 6a0746a1ec1a", "digest": "sha256:6a07", "total": size}
                | ({"completed": done} if done else {})
            )
        steps += [
            {"status": "verifying sha256 digest"},
            {"status": "writing manifest"},
            {"status": "success"},
        ]
        return steps


def _handler_for(server: ScriptedOllama) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            server.requests.append(("GET", self.path, {}))
            if self.path == "/api/tags":
                models = [
                    {"name": m, "model": m, "size": 1_000_000, "digest": "abc"}
                    for m in server.installed
                ]
                return self._json(200, {"models": models})
            if self.path == "/v1/models":
                data = [
                    {"id": m, "object": "model", "owned_by": "library"} for m in server.installed
                ]
                return self._json(200, {"object": "list", "data": data})
            self._json(404, {"error": "not found"})

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            server.requests.append(("POST", self.path, body))
            if self.path != "/api/pull":
                return self._json(404, {"error": "not found"})
            model = body.get("model") or body.get("name") or ""
            self.send_response(200)
            self.send_header("content-type", "application/x-ndjson")
            self.send_header("connection", "close")
            self.end_headers()
            self.close_connection = True
            for line in server.pull_lines(model):
                if server._closing.wait(server.step_delay):
                    return
                self.wfile.write(json.dumps(line).encode() + b"\n")
                self.wfile.flush()
                if line.get("status") == "success" and model not in server.installed:
                    server.installed.append(model)

        def _json(self, status: int, data: Any) -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    return Handler
