"""Another program on the share server's port (another local user's, say) gets nothing.

The squatter is a real TCP server on 127.0.0.1 that answers like a share server would hope to
look: "ok" on /healthz, a made-up proof on /api/hello, "created" for a publish, "revoked" for a
revoke. It records every byte it receives. The desktop must send it neither the token nor any
of the meeting, and must not believe its "revoked".
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import test_share_helpers
from test_share_helpers import BLOCKS, SEGMENTS

from notes_app.app import App
from notes_app.domain import EnhancedNotes
from notes_app.errors import ShareError
from notes_app.share.client import ShareClient
from notes_app.share.local import STATE_FILE, local_dir, stop_local_server
from notes_app.share.model import ShareOptions, Snapshot
from notes_app.share.proof import hash_token, key_id, proof, proof_is_right

TITLE = "Squatter bait planning"
share_server = test_share_helpers.share_server  # the fixture: uvicorn on 127.0.0.1


class Squatter(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int = 0):
        super().__init__(("127.0.0.1", port), _SquatterHandler)
        self.received = bytearray()
        self.paths: list[str] = []
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class _SquatterHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        server: Squatter = self.server  # type: ignore[assignment]
        while True:
            request_line = self.rfile.readline(65536)
            if not request_line:
                return
            lines = [request_line]
            length = 0
            while True:
                line = self.rfile.readline(65536)
                lines.append(line)
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            body = self.rfile.read(length) if length else b""
            method, path = request_line.decode("latin-1").split(" ")[:2]
            with server.lock:
                server.received += b"".join(lines) + body
                server.paths.append(f"{method} {path}")
            self.wfile.write(_fake_answer(method, path))


def _fake_answer(method: str, path: str) -> bytes:
    if path.startswith("/healthz"):
        status, body, kind = 200, b"notes-app share server ok\n", "text/plain"
    elif path.startswith("/api/hello"):
        fake = proof(hash_token("a guess"), "x")
        status, body, kind = 200, json.dumps({"proof": fake}).encode(), "application/json"
    elif method == "DELETE":
        status, body, kind = 200, b'{"id": "x", "revoked": true}', "application/json"
    else:
        data = {"id": "stolen", "url": "http://127.0.0.1:1/s/stolen", "expires_at": None}
        status, body, kind = 201, json.dumps(data).encode(), "application/json"
    head = f"HTTP/1.1 {status} OK\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


@contextmanager
def squatting(port: int = 0) -> Iterator[Squatter]:
    squatter = Squatter(port)
    thread = threading.Thread(target=squatter.serve_forever, daemon=True)
    thread.start()
    try:
        yield squatter
    finally:
        squatter.shutdown()
        squatter.server_close()


def _meeting(app: App) -> int:
    mid = app.repo.create_meeting(TITLE, attendees=["Sarah"], notes="march 3?", segments=SEGMENTS)
    app.repo.add_enhanced(EnhancedNotes(mid, "offline", BLOCKS))
    return mid


def _local_token(home) -> str:
    return (local_dir(home) / "local-token").read_text().strip()


def _assert_got_nothing(squatter: Squatter, token: str) -> None:
    received = bytes(squatter.received)
    assert token.encode() not in received
    assert hash_token(token).encode() not in received
    assert TITLE.encode() not in received and b"pricing page" not in received
    assert not any(p.startswith(("POST", "DELETE")) for p in squatter.paths), squatter.paths


def test_the_desktop_never_publishes_to_a_program_on_its_old_port(app, notes_home):
    mid = _meeting(app)
    try:
        first = app.share(mid, ShareOptions(include_transcript=True))
        port = int(first.url.split(":")[2].split("/")[0])
        _crash_local_server(notes_home)
        token = _local_token(notes_home)
        # Our server is gone; another program takes its port (server.json still names it).
        with squatting(_wait_for_free(port)) as squatter:
            second = app.share(mid, ShareOptions(include_transcript=True))
            _assert_got_nothing(squatter, token)
            assert any(p.startswith("GET /api/hello") for p in squatter.paths)  # it was asked
            assert f":{port}/" not in second.url  # a server of ours on another port
            page = httpx.get(second.url)
            assert page.status_code == 200 and TITLE in page.text
            state = json.loads((local_dir(notes_home) / STATE_FILE).read_text())
            assert state["port"] != port

            # Revoking the first link goes to our new server, not to the squatter's "revoked".
            record, found = app.unshare(first.id)
            assert found and record.revoked_at is not None
            _assert_got_nothing(squatter, token)
        assert httpx.get(second.url).status_code == 200
    finally:
        stop_local_server(notes_home)
    folder = local_dir(notes_home)
    assert folder.stat().st_mode & 0o077 == 0  # no other user can open the folder


def test_a_configured_http_server_must_prove_itself(app):
    mid = _meeting(app)
    with squatting() as squatter:
        app.settings.share.server_url = squatter.url
        app.settings.share.token = "the-team-token-0123456789abcdef"
        with pytest.raises(ShareError, match="did not prove it is your share server"):
            app.share(mid, ShareOptions(include_transcript=True))
        _assert_got_nothing(squatter, app.settings.share.token)
        assert app.shares() == []  # nothing recorded as shared


def test_every_connection_is_proved_before_the_request(share_server):
    """The proof is per connection: the client's first bytes on any new connection are the
    challenge, and a server that answers it wrongly gets nothing more."""
    with ShareClient(share_server.url, share_server.token) as client:
        client.verify()
        shared = client.publish(Snapshot(TITLE, None, (), BLOCKS, ()), ShareOptions())
        assert client.revoke(shared.id) is True
    with squatting() as squatter, ShareClient(squatter.url, share_server.token) as client:
        for call in (client.verify, client.list, lambda: client.revoke("abc")):
            with pytest.raises(ShareError, match="did not prove"):
                call()
        assert all(p.startswith("GET /api/hello") for p in squatter.paths), squatter.paths
        _assert_got_nothing(squatter, share_server.token)


def test_the_server_proves_it_holds_the_token_without_it_being_sent(share_server):
    challenge = "c" * 32
    r = httpx.get(
        share_server.url + "/api/hello",
        params={"key": key_id(share_server.token), "challenge": challenge},
    )
    assert r.status_code == 200
    assert proof_is_right(share_server.token, challenge, r.json()["proof"])
    assert not proof_is_right("another token", challenge, r.json()["proof"])
    assert not proof_is_right(share_server.token, "d" * 32, r.json()["proof"])
    unknown = httpx.get(
        share_server.url + "/api/hello", params={"key": key_id("nope"), "challenge": challenge}
    )
    assert unknown.status_code == 403
    short = httpx.get(share_server.url + "/api/hello", params={"key": "x", "challenge": "c"})
    assert short.status_code == 400


def _crash_local_server(home) -> None:
    """The local server dies without tidying up (a crash, a logout): server.json stays."""
    import os
    import signal

    pid = json.loads((local_dir(home) / STATE_FILE).read_text())["pid"]
    os.kill(pid, signal.SIGKILL)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _wait_for_free(port: int) -> int:
    """The stopped server's port, once the operating system has let it go."""
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                time.sleep(0.1)
    raise AssertionError(f"port {port} stayed busy")
