"""A real OpenAI-compatible HTTP server on 127.0.0.1 that tests script.

It serves ``POST /v1/chat/completions`` (plain JSON, or server-sent events when the request
says ``"stream": true``) and ``GET /v1/models``, records every request, and answers with the
replies a test queued. Use it as a context manager or through the ``llm_server`` fixture::

    with ScriptedLLMServer(models=["test-model"]) as server:
        server.queue(Reply.text('{"blocks": []}'))
        server.queue(Reply.error(429, headers={"Retry-After": "1"}), Reply.text("ok"))
        client = openai.OpenAI(base_url=server.base_url, api_key="k")
        ...
        server.requests[0].prompt  # all message contents joined, to assert on

Behaviour that real servers have comes for free: a model not in ``models`` gets 404, and with
``api_key`` set a request without ``Authorization: Bearer <api_key>`` gets 401. When the queue
is empty, ``responder(request)`` (if set) makes the reply, else ``default`` is sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer."""

    content: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (a slow or hung server)
    finish_reason: str = "stop"
    raw_body: bytes | None = None  # sent as is instead of a chat completion
    chunk_size: int = 12  # characters per streamed chunk
    stall_after: int | None = None  # streamed chunks sent before the stream hangs
    content_type: str = "application/json"  # of a raw_body
    trickle: float = 0.0  # seconds between single bytes of the body (a server that dribbles)

    @classmethod
    def text(cls, content: str, **kw: Any) -> Reply:
        return cls(content=content, **kw)

    @classmethod
    def json(cls, value: Any, **kw: Any) -> Reply:
        return cls(content=json.dumps(value), **kw)

    @classmethod
    def error(cls, status: int, message: str = "", **kw: Any) -> Reply:
        body = {
            "error": {
                "message": message or f"scripted error {status}",
                "type": "error",
                "code": status,
            }
        }
        return cls(status=status, raw_body=json.dumps(body).encode(), **kw)

    @classmethod
    def hang(cls, seconds: float = 30.0) -> Reply:
        return cls(content="{}", delay=seconds)

    @classmethod
    def raw(cls, body: str | bytes, content_type: str = "text/plain", **kw: Any) -> Reply:
        """A 200 whose body is ``body`` as is: plain text, a web page, cut-off JSON."""
        data = body.encode() if isinstance(body, str) else body
        return cls(raw_body=data, content_type=content_type, **kw)


@dataclass
class Request:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages", [])

    @property
    def prompt(self) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.messages)


class ScriptedLLMServer:
    def __init__(
        self,
        *,
        models: tuple[str, ...] | list[str] = ("test-model",),
        api_key: str | None = None,
        default: Reply | None = None,
        reject_response_format: tuple[str, ...] = (),
        reject_status: int = 400,
        tokenize: bool = False,
        empty_json_streams: bool = False,
    ):
        self.models = list(models)
        self.api_key = api_key
        self.default = default or Reply.json({"blocks": []})
        # response_format types answered with HTTP 400, like servers without structured output
        self.reject_response_format = set(reject_response_format)
        self.reject_status = reject_status  # 400 most servers, 422 FastAPI, 500 llama-cpp-python
        self.tokenize = tokenize  # serve llama-cpp-python's /extras/tokenize/count (words)
        # like llama-cpp-python 0.3: a streamed reply with a response_format carries only the role
        self.empty_json_streams = empty_json_streams
        self.responder: Callable[[Request], Reply] | None = None
        self.requests: list[Request] = []
        self.models_reply: Reply | None = None  # sent for GET /models instead of the list
        self.trickled = 0  # bytes sent by trickling replies
        self.trickle_broken = False  # a trickle ended because the client closed
        self._queue: list[Reply] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None  # kept after close, so messages can still be checked

    # --- scripting ------------------------------------------------------------------------------

    def queue(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    @property
    def chat_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def base_url(self) -> str:
        assert self._port is not None, "start the server first"
        return f"http://127.0.0.1:{self._port}/v1"

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> ScriptedLLMServer:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()  # wakes handlers sleeping on a scripted delay
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> ScriptedLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- answering ------------------------------------------------------------------------------

    def _next_reply(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self._queue:
                return self._queue.pop(0)
        if self.responder is not None:
            return self.responder(request)
        return self.default

    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def _gate(self, request: Request) -> Reply | None:
        """The answers a real server gives before looking at the script."""
        if self.api_key is not None:
            if request.headers.get("authorization", "") != f"Bearer {self.api_key}":
                return Reply.error(401, "Incorrect API key provided.")
        if request.path.endswith("/chat/completions"):
            model = request.body.get("model")
            if model not in self.models:
                return Reply.error(404, f"The model `{model}` does not exist.")
            fmt = (request.body.get("response_format") or {}).get("type")
            if fmt in self.reject_response_format:
                return Reply.error(
                    self.reject_status, f"response_format: type {fmt!r} is not supported"
                )
        return None

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._closing.wait(seconds)


def _handler_for(server: ScriptedLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            request = self._request({})
            gated = server._gate(request)
            server._record(request)
            if gated is not None:
                return self._send_reply(gated, request)
            if request.path.rstrip("/").endswith("/models"):
                if server.models_reply is not None:
                    return self._send_reply(server.models_reply, request)
                data = [
                    {"id": m, "object": "model", "created": 0, "owned_by": "test"}
                    for m in server.models
                ]
                return self._send_json(200, {"object": "list", "data": data})
            self._send_json(404, {"error": {"message": "not found"}})

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b"{}"
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                body = {}
            request = self._request(body)
            gated = server._gate(request)
            if gated is not None:
                server._record(request)
                return self._send_reply(gated, request)
            if server.tokenize and request.path == "/extras/tokenize/count":
                server._record(request)
                return self._send_json(200, {"count": len(str(body.get("input")).split())})
            if not request.path.rstrip("/").endswith("/chat/completions"):
                server._record(request)
                return self._send_json(404, {"error": {"message": "not found"}})
            self._send_reply(server._next_reply(request), request)

        def _request(self, body: dict[str, Any]) -> Request:
            headers = {k.lower(): v for k, v in self.headers.items()}
            return Request(self.command, self.path, headers, body)

        def _send_reply(self, reply: Reply, request: Request) -> None:
            server._wait(reply.delay)
            if server._closing.is_set():
                return
            if reply.raw_body is not None or reply.status != 200:
                headers = {"content-type": reply.content_type, **reply.headers}
                return self._send_bytes(
                    reply.status, reply.raw_body or b"{}", headers, reply.trickle
                )
            if request.body.get("stream"):
                return self._send_stream(reply, request)
            body = json.dumps(_completion(reply, request)).encode()
            self._send_bytes(200, body, reply.headers, reply.trickle)

        def _send_stream(self, reply: Reply, request: Request) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.send_header("connection", "close")
            self.end_headers()
            self.close_connection = True
            if server.empty_json_streams and request.body.get("response_format"):
                self._event(_chunk(request, {"role": "assistant"}, None))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                return
            text = reply.content
            pieces = [text[i : i + reply.chunk_size] for i in range(0, len(text), reply.chunk_size)]
            if reply.trickle:
                events = b"".join(
                    b"data: " + json.dumps(_chunk(request, {"content": p}, None)).encode() + b"\n\n"
                    for p in pieces
                )
                return self._dribble(events, reply.trickle)
            for number, piece in enumerate(pieces):
                if number == reply.stall_after:
                    server._wait(30.0)  # a model server stuck mid-generation
                    return
                self._event(_chunk(request, {"content": piece}, None))
            self._event(_chunk(request, {}, reply.finish_reason))
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def _event(self, data: dict[str, Any]) -> None:
            self.wfile.write(b"data: " + json.dumps(data).encode() + b"\n\n")
            self.wfile.flush()

        def _send_json(self, status: int, data: Any, headers: dict | None = None) -> None:
            self._send_bytes(status, json.dumps(data).encode(), headers or {})

        def _send_bytes(
            self, status: int, body: bytes, headers: dict[str, str], trickle: float = 0.0
        ) -> None:
            self.send_response(status)
            headers = {"content-type": "application/json", **headers}
            self.send_header("content-length", str(len(body)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            if trickle:
                return self._dribble(body, trickle)
            self.wfile.write(body)

        def _dribble(self, body: bytes, every: float) -> None:
            """One byte at a time, ``every`` seconds apart, until done or closed."""
            try:
                for i in range(len(body)):
                    self.wfile.write(body[i : i + 1])
                    self.wfile.flush()
                    server.trickled += 1
                    server._wait(every)
                    if server._closing.is_set():
                        return
            except OSError:  # the client gave up and closed the connection
                server.trickle_broken = True

    return Handler


def _completion(reply: Reply, request: Request) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.body.get("model"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content},
                "finish_reason": reply.finish_reason,
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def _chunk(request: Request, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": request.body.get("model"),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


try:
    import pytest

    @pytest.fixture
    def llm_server():
        """A started ScriptedLLMServer; import this name into a test module to use it."""
        with ScriptedLLMServer() as server:
            yield server

except ImportError:  # pragma: no cover - the server also works outside pytest
    pass
