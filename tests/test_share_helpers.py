"""Shared parts for the share-link tests: a real uvicorn server on 127.0.0.1 in a thread, a clock
tests can move, sample and hostile snapshots, and an HTML inspector. No tests live here.

The server's store is a SQLite folder or a fresh PostgreSQL database (tests/postgres.py): every
test that takes ``share_server`` or ``share_location`` runs against both.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
import uvicorn

from notes_app.domain import Block, Citation, Segment
from notes_app.share.model import Snapshot
from notes_app.share.server import Limits, ShareApp, create_app
from notes_app.share.snapshots import SnapshotStore


class MovableClock:
    def __init__(self, start: float | None = None):
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class RunningServer:
    url: str
    token: str
    store: SnapshotStore
    clock: MovableClock | None
    app: ShareApp | None = None


@contextmanager
def serve_in_thread(app) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free 127.0.0.1 port; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


BACKENDS = ("sqlite", "postgresql")


def _locations(request, tmp_path) -> Callable[[], Path | str]:
    names = iter(range(1000))
    if request.param == "sqlite":
        return lambda: tmp_path / f"share-data-{next(names)}"
    return request.getfixturevalue("postgres_server").create_database


@pytest.fixture(params=BACKENDS)
def new_location(request, tmp_path) -> Callable[[], Path | str]:
    """Makes a new empty place for a share store: a SQLite folder, or a PostgreSQL database."""
    return _locations(request, tmp_path)


@pytest.fixture(params=BACKENDS)
def share_server(request, tmp_path):
    clock = MovableClock()
    store = SnapshotStore(_locations(request, tmp_path)(), clock=clock)
    token = store.create_token("tests")
    limits = Limits(
        asks_per_client=6, asks_per_client_all=15, ask_bytes=2048, publish_bytes=200_000
    )
    app = create_app(store, clock=clock, limits=limits)
    with serve_in_thread(app) as url:
        yield RunningServer(url, token, store, clock, app)
    store.close()


SEGMENTS = (
    Segment(0, 0.0, 4.0, "Let's start with the launch date.", "me", 0),
    Segment(1, 4.0, 9.5, "Marketing wants the launch on March 3rd.", "them", 1),
    Segment(2, 9.5, 15.0, "Sarah will own the pricing page and send a draft by Friday.", "them", 1),
    Segment(3, 15.0, 21.0, "The budget is 4.2 million for the year.", "me", 0),
)

BLOCKS = (
    Block("heading", "Launch", "user", 1),
    Block("bullet", "march 3?", "user", 2),
    Block("bullet", "Launch is set for March 3rd.", "ai", 2, (Citation(1, 4.0, 9.5),)),
    Block("heading", "Pricing", "user", 3),
    Block("bullet", "pricing -> Sarah", "user", 4),
    Block(
        "bullet", "Sarah owns the pricing page; draft due Friday.", "ai", 4, (Citation(2, 9.5, 15),)
    ),
    Block("bullet", "Budget may double next year.", "ai", None, (Citation(3, 15, 21),), False),
)


def sample_snapshot(**overrides) -> Snapshot:
    base = dict(
        title="Launch planning",
        date="2025-03-01T14:05:00+00:00",
        attendees=("Sarah", "Tom"),
        blocks=BLOCKS,
        segments=SEGMENTS,
    )
    base.update(overrides)
    return Snapshot(**base)


XSS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "[x](javascript:alert(1))",
    '"><svg onload=alert(1)>',
    '<a href="javascript:alert(1)">click</a>',
    '\'><iframe srcdoc="<script>alert(1)</script>">',
    "<%nonce%>",
)


def hostile_snapshot() -> Snapshot:
    """Every field a publisher controls carries markup that would run if it were not escaped."""
    segs = tuple(
        Segment(i, i * 5.0, i * 5.0 + 4, f"{x} pricing talk {i}", x, 1) for i, x in enumerate(XSS)
    )
    blocks = [Block("heading", XSS[0] + " Pricing", "user", 1)]
    for i, x in enumerate(XSS):
        blocks.append(Block("bullet", x, "user", i + 2))
        blocks.append(Block("bullet", f"{x} pricing detail", "ai", i + 2, (Citation.of(segs[i]),)))
    blocks.append(Block("paragraph", "Sarah owns pricing", "user", 40))
    return Snapshot(
        title=XSS[0] + XSS[4],
        date=XSS[1],
        attendees=XSS,
        blocks=tuple(blocks),
        segments=segs,
    )


class TagCollector(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer would see them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def tags_of(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = TagCollector()
    parser.feed(page)
    parser.close()
    return parser.tags


def publish(server: RunningServer, snapshot: Snapshot, **options) -> dict:
    import httpx

    payload = {**snapshot.to_dict(), **options}
    r = httpx.post(
        server.url + "/api/shares",
        json=payload,
        headers={"Authorization": f"Bearer {server.token}"},
    )
    assert r.status_code == 201, r.text
    return r.json()
