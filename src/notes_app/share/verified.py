"""An HTTP transport that sends nothing to a share server until it has proved who it is.

Over plain HTTP (the app's own server on 127.0.0.1, or any http:// server) nothing stops
another program from answering on the port, e.g. another local user's, after the real server
stopped. So every new connection starts with ``GET /api/hello``: the server must answer the
fresh challenge with the proof only the holder of the token's hash can give (``proof.py``).
Only then does the real request (the token, a snapshot) go out, on that same connection. Over
HTTPS the certificate proves the server, as for any site.
"""

from __future__ import annotations

import json
import typing

import httpcore
import httpx

from notes_app.errors import ShareError
from notes_app.share.proof import key_id, new_challenge, proof_is_right

HEAD_LIMIT = 16 * 1024
BODY_LIMIT = 4096


class ServerNotProven(ShareError):
    """What answered is not the share server that issued our token: nothing was sent to it."""

    def __init__(self, address: str, why: str):
        super().__init__(
            f"The program answering at {address} did not prove it is your share server "
            f"({why}), so nothing was sent to it. If the share server runs there, check that "
            "share.token is one it issued; another program may have taken its port."
        )


class VerifiedTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` whose every new connection is proved before it is used."""

    def __init__(self, token: str, *, timeout: float = 10.0):
        super().__init__(trust_env=False)  # no proxy: the proof is between us and the server
        if not hasattr(self, "_pool"):  # httpx keeps its connection pool here
            raise RuntimeError("This httpx version keeps no _pool; VerifiedTransport needs one.")
        self._pool = httpcore.ConnectionPool(
            network_backend=_ProvingBackend(token, timeout), max_connections=10
        )


def client_for(server_url: str, token: str, timeout: float) -> httpx.Client:
    """The HTTP client for a share server: proved per connection unless it is HTTPS."""
    if server_url.lower().startswith("https://"):
        return httpx.Client(timeout=timeout)
    return httpx.Client(timeout=timeout, transport=VerifiedTransport(token, timeout=timeout))


class _ProvingBackend(httpcore.NetworkBackend):
    def __init__(self, token: str, timeout: float):
        self.token = token
        self.timeout = timeout
        self.inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self.inner.connect_tcp(host, port, timeout, local_address, socket_options)
        authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        return _ProvingStream(stream, self, authority)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self.inner.connect_unix_socket(path, timeout, socket_options)
        return _ProvingStream(stream, self, "localhost")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class _ProvingStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, backend: _ProvingBackend, authority: str):
        self.inner = inner
        self.backend = backend
        self.authority = authority
        self.proven = False

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not self.proven:
            self._prove()
            self.proven = True
        self.inner.write(buffer, timeout)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, timeout)

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:
        tls = self.inner.start_tls(ssl_context, server_hostname, timeout)
        return _ProvingStream(tls, self.backend, self.authority)

    def get_extra_info(self, info: str) -> typing.Any:
        return self.inner.get_extra_info(info)

    def _prove(self) -> None:
        challenge = new_challenge()
        request = (
            f"GET /api/hello?key={key_id(self.backend.token)}&challenge={challenge} HTTP/1.1\r\n"
            f"Host: {self.authority}\r\nAccept: application/json\r\n"
            "User-Agent: notes-app\r\n\r\n"
        )
        timeout = self.backend.timeout
        try:
            self.inner.write(request.encode("ascii"), timeout)
            status, body = _read_response(self.inner, timeout)
        except (httpcore.NetworkError, httpcore.TimeoutException) as e:
            raise ServerNotProven(self.authority, f"no answer to the challenge: {e}") from None
        except _Unreadable as e:
            raise ServerNotProven(self.authority, str(e)) from None
        if status == 403:  # a share server, but not one that issued this token
            raise ShareError(
                f"The share server at {self.authority} refused the token: it did not issue it. "
                "Set the right one with `notes-app config set share.token TOKEN` (its admin "
                "creates tokens with `notes-app serve --create-token NAME`)."
            )
        if status != 200:
            raise ServerNotProven(self.authority, f"it answered the challenge with {status}")
        try:
            answer = json.loads(body).get("proof")
        except (ValueError, AttributeError):
            answer = None
        if not proof_is_right(self.backend.token, challenge, answer):
            raise ServerNotProven(self.authority, "its answer to the challenge was wrong")


class _Unreadable(Exception):
    pass


def _read_response(stream: httpcore.NetworkStream, timeout: float) -> tuple[int, bytes]:
    """One small HTTP/1.1 response with a Content-Length, read exactly (the connection is
    used for the real request next, so nothing past it may be consumed)."""
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > HEAD_LIMIT:
            raise _Unreadable("its answer to the challenge was too long")
        chunk = stream.read(HEAD_LIMIT, timeout)
        if not chunk:
            raise _Unreadable("it closed the connection")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split(" ", 2)[1])
    except (IndexError, ValueError):
        raise _Unreadable("its answer to the challenge was not HTTP") from None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = headers.get("content-length", "")
    if not length.isdigit() or int(length) > BODY_LIMIT or "transfer-encoding" in headers:
        raise _Unreadable("its answer to the challenge had no usable length")
    if headers.get("connection", "").lower() == "close":
        raise _Unreadable("it closed the connection after the challenge")
    while len(rest) < int(length):
        chunk = stream.read(int(length) - len(rest), timeout)
        if not chunk:
            raise _Unreadable("it closed the connection")
        rest += chunk
    if len(rest) != int(length):
        raise _Unreadable("it sent more than its answer")
    return status, rest
