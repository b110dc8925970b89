"""The share server against its own users: malformed input, exhaustion, forged requests,
foreign hosts. A real uvicorn server on 127.0.0.1 and plain httpx requests throughout."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
import test_share_helpers
from test_share_helpers import publish, sample_snapshot, serve_in_thread

from notes_app.share.server import BASE_HEADERS, create_app
from notes_app.share.snapshots import SnapshotStore

share_server = test_share_helpers.share_server  # the fixture: uvicorn on 127.0.0.1
new_location = test_share_helpers.new_location  # a SQLite folder or a PostgreSQL database
JSON = {"Content-Type": "application/json"}


def _auth(server) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token}", **JSON}


def _publish_raw(server, body: bytes | str) -> httpx.Response:
    return httpx.post(server.url + "/api/shares", content=body, headers=_auth(server))


# --- 15: nothing a client sends makes a 500; a 500 still carries the security headers ----------


def test_deeply_nested_json_is_400_not_500(share_server):
    shared = publish(share_server, sample_snapshot())
    deep = "[" * 2000
    r = httpx.post(shared["url"] + "/ask", content=deep, headers=JSON)
    assert r.status_code == 400 and "JSON" in r.json()["error"]
    r = _publish_raw(share_server, deep)
    assert r.status_code == 400 and "JSON" in r.json()["error"]
    r = _publish_raw(share_server, "[" * 500 + "]" * 500)  # valid JSON, nested too deep
    assert r.status_code == 400


def _segment_body(**segment) -> dict:
    body = sample_snapshot().to_dict()
    body["include_transcript"] = True
    body["segments"][1] = {**body["segments"][1], **segment}
    return body


@pytest.mark.parametrize(
    ("segment", "field"),
    [
        ({"speaker": 5}, "segments[1].speaker"),
        ({"speaker": ["me"]}, "segments[1].speaker"),
        ({"text": None}, "segments[1].text"),
        ({"index": "one"}, "segments[1].index"),
        ({"index": True}, "segments[1].index"),
        ({"start": "soon"}, "segments[1].start"),
        ({"start": -4.0}, "segments[1].start"),
        ({"start": 20.0, "end": 3.0}, "segments[1].end"),
    ],
)
def test_a_malformed_segment_is_400_naming_the_field(share_server, segment, field):
    r = _publish_raw(share_server, json.dumps(_segment_body(**segment)))
    assert r.status_code == 400, r.text
    assert field in r.json()["error"]
    assert share_server.store.list_for(share_server.token) == []


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_times_are_400(share_server, number):
    text = json.dumps(_segment_body(start=12345.0)).replace("12345.0", number)
    assert number in text
    r = _publish_raw(share_server, text)
    assert r.status_code == 400, r.text
    assert "segments[1].start" in r.json()["error"]
    body = sample_snapshot().to_dict()
    body["blocks"][2]["citations"][0]["end"] = 12345.0
    r = _publish_raw(share_server, json.dumps(body).replace("12345.0", number))
    assert r.status_code == 400 and "blocks[2].citations[0].end" in r.json()["error"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"note_line": "2"}, "blocks[1].note_line"),
        ({"level": "deep"}, "blocks[1].level"),
        ({"level": 10**30}, "blocks[1].level"),
        ({"marker": 3}, "blocks[1].marker"),
        ({"verified": "yes"}, "blocks[1].verified"),
        ({"citations": [{"segment": "x", "start": 0, "end": 1}]}, "blocks[1].citations[0].segment"),
        ({"citations": {"segment": 1}}, "blocks[1].citations"),
        ({"text": {"html": "<b>"}}, "blocks[1].text"),
    ],
)
def test_a_malformed_block_is_400_naming_the_field(share_server, change, field):
    body = sample_snapshot().to_dict()
    body["blocks"][1] = {**body["blocks"][1], **change}
    r = _publish_raw(share_server, json.dumps(body))
    assert r.status_code == 400, r.text
    assert field in r.json()["error"]


def test_every_published_share_renders(share_server):
    """What validation lets through, the page and the answer can show (no share is a 500)."""
    body = sample_snapshot().to_dict()
    body["include_transcript"] = True
    body["segments"][0].update(speaker=None, start=0, end=0)  # ints and empty speaker are fine
    body["blocks"][0]["level"] = 6
    r = _publish_raw(share_server, json.dumps(body))
    assert r.status_code == 201, r.text
    url = r.json()["url"]
    assert httpx.get(url).status_code == 200
    asked = httpx.post(url + "/ask", json={"question": "launch date?"})
    assert asked.status_code == 200
    for date in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "13/45/2025"):
        body["date"] = date
        r = _publish_raw(share_server, json.dumps(body))
        assert r.status_code == 201, r.text
        page = httpx.get(r.json()["url"])
        assert page.status_code == 200 and date in page.text


def test_a_500_carries_the_security_headers_and_no_traceback(new_location):
    def broken(snapshot, question):
        raise RuntimeError("answerer exploded at /srv/secret/path")

    store = SnapshotStore(new_location(), clock=lambda: 1e9)
    token = store.create_token("tests")
    app = create_app(store, clock=lambda: 1e9, answerer=broken)
    with serve_in_thread(app) as url:
        server = test_share_helpers.RunningServer(url, token, store, None)
        shared = publish(server, sample_snapshot())
        r = httpx.post(shared["url"] + "/ask", json={"question": "pricing?"})
    store.close()
    assert r.status_code == 500
    for name, value in BASE_HEADERS.items():
        assert r.headers[name] == value, name
    assert r.headers["content-security-policy"].startswith("default-src 'none'")
    assert "exploded" not in r.text and "Traceback" not in r.text and "/srv" not in r.text


# --- 10: revoked and expired links keep nothing ------------------------------------------------


def _secret_snapshot(word: str):
    from notes_app.domain import Segment

    segments = (Segment(0, 0.0, 3.0, f"The codename is {word}-transcript.", "them"),)
    return sample_snapshot(title=f"{word}-title", segments=segments)


def _on_disk(store: SnapshotStore) -> bytes:
    """What the store keeps: SQLite's file and its log, byte for byte. PostgreSQL has no
    secure_delete (deleted rows stay in its files until it reuses the space, see postgres.py),
    so there it is every row of content the database still holds."""
    if store.path is None:
        rows = store.backend.rows("SELECT title, snapshot FROM share_content")
        return "\n".join(f"{title}\n{snapshot}" for title, snapshot in rows).encode()
    folder = store.path.parent
    return b"".join(p.read_bytes() for p in folder.glob(store.path.name + "*"))


def _content_rows(store: SnapshotStore) -> int:
    return store.backend.rows("SELECT count(*) FROM share_content")[0][0]


def test_revoking_deletes_the_content_and_keeps_id_owner_and_times(share_server):
    word = "Quillfeather"
    shared = publish(share_server, _secret_snapshot(word), include_transcript=True)
    kept = publish(share_server, sample_snapshot())
    assert word.encode() in _on_disk(share_server.store)
    r = httpx.delete(f"{share_server.url}/api/shares/{shared['id']}", headers=_auth(share_server))
    assert r.status_code == 200
    assert word.encode() not in _on_disk(share_server.store)  # not in the file, nor its log
    assert _content_rows(share_server.store) == 1
    info = share_server.store.info(shared["id"])
    assert info.revoked_at is not None and info.created_at and info.expires_at
    shares = httpx.get(share_server.url + "/api/shares", headers=_auth(share_server)).json()
    listed = {s["id"]: s for s in shares["shares"]}
    assert listed[shared["id"]]["revoked"] is True and listed[shared["id"]]["title"] is None
    assert listed[kept["id"]]["title"] == "Launch planning"
    assert httpx.get(kept["url"]).status_code == 200


def test_expired_content_is_purged_within_the_hour(share_server):
    word = "Marrowbine"
    hour = publish(share_server, _secret_snapshot(word), expires="1h", include_transcript=True)
    forever = publish(share_server, sample_snapshot(), expires="never")
    share_server.clock.advance(3600 + 1)
    assert httpx.get(share_server.url + "/healthz").status_code == 200  # any request will do
    assert word.encode() not in _on_disk(share_server.store)
    assert share_server.store.info(hour["id"]).expires_at is not None  # id and times stay
    assert httpx.get(hour["url"]).status_code == 404
    assert httpx.get(forever["url"]).status_code == 200
    # Another expiry inside the same hour waits for the next purge, then goes too.
    half = publish(share_server, _secret_snapshot("Tallowmere"), expires="1h")
    share_server.clock.advance(3600 + 1)
    assert httpx.get(half["url"]).status_code == 404
    assert b"Tallowmere" not in _on_disk(share_server.store)


def test_an_idle_server_purges_on_its_own(new_location):
    """With nobody visiting, the server's own loop purges (the lifespan runs under uvicorn)."""
    import uvicorn

    import notes_app.share.server as server_module

    clock = test_share_helpers.MovableClock()
    store = SnapshotStore(new_location(), clock=clock)
    token = store.create_token("tests")
    app = create_app(store, clock=clock)
    original = server_module.PURGE_CHECK_SECONDS
    server_module.PURGE_CHECK_SECONDS = 0.05
    try:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        running = test_share_helpers.RunningServer(f"http://127.0.0.1:{port}", token, store, clock)
        publish(running, _secret_snapshot("Grindlewick"), expires="1h")
        clock.advance(3600 + 1)
        deadline = time.monotonic() + 20
        while _content_rows(store) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _content_rows(store) == 0
        assert b"Grindlewick" not in _on_disk(store)
        server.should_exit = True
        thread.join(10)
    finally:
        server_module.PURGE_CHECK_SECONDS = original
        store.close()


def _first_schema(location) -> tuple:
    """A database at the first schema: (something with ``execute(sql, params)``, commit-close)."""
    if isinstance(location, str):
        import psycopg

        from notes_app.share.snapshots.postgres import apply_migrations, placeholders

        conn = psycopg.connect(location, autocommit=True)
        apply_migrations(conn, stop_before="m002_content_apart_token_lifetimes")
        return (lambda sql, params: conn.execute(placeholders(sql), params)), conn.close
    import sqlite3

    import sqlite_utils

    from notes_app.share.snapshots import migrations

    location.mkdir()
    db = sqlite_utils.Database(sqlite3.connect(location / "shares.db"))
    migrations.apply(db, stop_before="m002_content_apart_token_lifetimes")

    def done():
        db.conn.commit()
        db.conn.close()

    return db.execute, done


def test_a_database_from_before_loses_revoked_and_expired_content_on_open(new_location):
    """A server upgraded from the first schema: what was revoked before is deleted now."""
    from notes_app.share.snapshots import hash_token

    location = new_location()
    execute, done = _first_schema(location)
    execute("INSERT INTO tokens VALUES (?, 'old', 1.0)", [hash_token("tok")])
    for share_id, title, revoked, expires in (
        ("a" * 32, "Revokedbefore", 5.0, None),
        ("b" * 32, "Expiredbefore", None, 10.0),
        ("c" * 32, "Stilllive", None, None),
    ):
        snap = json.dumps(sample_snapshot(title=title).to_dict())
        execute(
            "INSERT INTO shares VALUES (?,?,?,?,0,1,1.0,?,?)",
            [share_id, hash_token("tok"), title, snap, expires, revoked],
        )
    done()
    store = SnapshotStore(location, clock=lambda: 100.0)
    try:
        data = _on_disk(store)
        assert b"Revokedbefore" not in data and b"Expiredbefore" not in data
        assert store.get_live("c" * 32).title == "Stilllive"
        assert store.info("a" * 32).revoked_at == 5.0
        assert store.token_known("tok")
        assert store.info("c" * 32).size == len(json.dumps(sample_snapshot(title="Stilllive")
                                                          .to_dict()).encode())  # fmt: skip
    finally:
        store.close()


# --- 17: unknown, revoked and expired ids cost the same: no content is read ---------------------


def test_missing_shares_are_decided_without_reading_content(share_server):
    revoked = publish(share_server, sample_snapshot())
    expired = publish(share_server, sample_snapshot(), expires="1h")
    httpx.delete(f"{share_server.url}/api/shares/{revoked['id']}", headers=_auth(share_server))
    share_server.clock.advance(1800)
    assert httpx.get(expired["url"]).status_code == 200  # content read and cached while live
    share_server.clock.advance(1801)
    httpx.get(share_server.url + "/healthz")  # the purge runs here, not in the requests below
    store = share_server.store
    for kind, share_id in (("unknown", "x" * 32), ("revoked", revoked["id"]),
                           ("expired", expired["id"])):  # fmt: skip
        statements: list[str] = []
        store.backend.set_trace(statements.append)
        try:
            assert httpx.get(f"{share_server.url}/s/{share_id}").status_code == 404
            assert httpx.post(f"{share_server.url}/s/{share_id}/ask",
                              json={"question": "x"}).status_code == 404  # fmt: skip
        finally:
            store.backend.set_trace(None)
        shapes = [s.replace(share_id, "?") for s in statements]
        assert len(shapes) == 2 and shapes[0] == shapes[1], (kind, shapes)
        assert not any("content" in s or "snapshot" in s for s in shapes), (kind, shapes)
        if kind == "unknown":
            first = shapes
        assert shapes == first, kind


# --- 11: a token holder cannot exhaust memory or stall the server -------------------------------


def _big_snapshot(word: str, segments: int):
    from notes_app.domain import Segment

    segs = tuple(
        Segment(i, i * 3.0, i * 3.0 + 2.5, f"{word} line {i} about pricing and the launch.", "them")
        for i in range(segments)
    )
    return sample_snapshot(title=word, segments=segs)


def test_caches_are_bounded_by_bytes(new_location):
    from notes_app.share.server import Limits

    store = SnapshotStore(new_location(), clock=lambda: 1e9, parsed_budget=600_000)
    token = store.create_token("tests")
    limits = Limits(page_cache_bytes=200_000)
    app = create_app(store, clock=lambda: 1e9, limits=limits)
    with serve_in_thread(app) as url:
        server = test_share_helpers.RunningServer(url, token, store, None)
        shared = [
            publish(server, _big_snapshot(f"Share{n}", 200), include_transcript=True)
            for n in range(8)
        ]  # each page ~32 KB, each snapshot ~100 KB parsed
        for _ in range(2):
            for n, s in enumerate(shared):
                page = httpx.get(s["url"])
                assert page.status_code == 200 and f"<h1>Share{n}</h1>" in page.text
        pages = app.server.pages
        assert 0 < pages.bytes <= 200_000 and len(pages) < 8
        assert 0 < store._parsed.bytes <= 600_000 and len(store._parsed) < 8
    store.close()


def test_shares_per_token_and_bytes_per_token_are_capped(new_location):
    from notes_app.share.server import Limits

    store = SnapshotStore(new_location(), clock=lambda: 1e9)
    token = store.create_token("tests")
    app = create_app(store, clock=lambda: 1e9, limits=Limits(shares_per_token=3))
    with serve_in_thread(app) as url:
        server = test_share_helpers.RunningServer(url, token, store, None)
        first = [publish(server, sample_snapshot()) for _ in range(3)]
        r = httpx.post(url + "/api/shares", json=sample_snapshot().to_dict(), headers=_auth(server))
        assert r.status_code == 403 and "notes-app unshare" in r.json()["error"]
        httpx.delete(f"{url}/api/shares/{first[0]['id']}", headers=_auth(server))
        publish(server, sample_snapshot())  # revoking one makes room
    store.close()
    store = SnapshotStore(new_location(), clock=lambda: 1e9)
    token = store.create_token("tests")
    app = create_app(store, clock=lambda: 1e9, limits=Limits(bytes_per_token=150_000))
    with serve_in_thread(app) as url:
        server = test_share_helpers.RunningServer(url, token, store, None)
        publish(server, _big_snapshot("One", 600), include_transcript=True)
        publish(server, _big_snapshot("Two", 600), include_transcript=True)
        body = {**_big_snapshot("Three", 600).to_dict(), "include_transcript": True}
        r = httpx.post(url + "/api/shares", json=body, headers=_auth(server))
        assert r.status_code == 403 and "without the transcript" in r.json()["error"]
    store.close()


def test_a_slow_first_render_does_not_stall_other_requests(share_server, monkeypatch):
    """The page is rendered off the event loop: while one render is held, the server still
    answers other requests; five viewers of the same new share cause one render."""
    import notes_app.share.server as server_module

    release = threading.Event()
    renders: list[str] = []
    real_render = server_module.render_page

    def held_render(share_id, *args, **kwargs):
        renders.append(share_id)
        release.wait(30)
        return real_render(share_id, *args, **kwargs)

    monkeypatch.setattr(server_module, "render_page", held_render)
    shared = publish(share_server, sample_snapshot())
    other = publish(share_server, sample_snapshot(), allow_questions=True)
    results: list[int] = []

    def view():
        results.append(httpx.get(shared["url"], timeout=60).status_code)

    viewers = [threading.Thread(target=view) for _ in range(5)]
    for v in viewers:
        v.start()
    try:
        assert httpx.get(share_server.url + "/healthz", timeout=10).status_code == 200
        asked = httpx.post(other["url"] + "/ask", json={"question": "launch?"}, timeout=10)
        assert asked.status_code == 200
    finally:
        release.set()
        for v in viewers:
            v.join(60)
    assert results == [200] * 5
    assert renders.count(shared["id"]) == 1


def test_a_slow_answer_does_not_stall_pages_and_answers_wait_their_turn(new_location):
    from notes_app.share.answer import answer_question
    from notes_app.share.server import Limits

    release = threading.Event()
    running: list[str] = []

    def held_answerer(snapshot, question):
        running.append(question)
        release.wait(30)
        return answer_question(snapshot, question)

    store = SnapshotStore(new_location(), clock=lambda: 1e9)
    token = store.create_token("tests")
    limits = Limits(answer_threads=1, answers_waiting=2, asks_per_client=100)
    app = create_app(store, clock=lambda: 1e9, answerer=held_answerer, limits=limits)
    codes: list[int] = []
    with serve_in_thread(app) as url:
        server = test_share_helpers.RunningServer(url, token, store, None)
        shared = publish(server, sample_snapshot())

        def ask(n):
            r = httpx.post(shared["url"] + "/ask", json={"question": f"q{n}"}, timeout=60)
            codes.append(r.status_code)

        askers = [threading.Thread(target=ask, args=(n,)) for n in range(3)]
        for a in askers:
            a.start()
        try:
            deadline = time.monotonic() + 20
            while app.server.answers_in_flight < 3 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert app.server.answers_in_flight == 3
            assert httpx.get(shared["url"], timeout=10).status_code == 200
            busy = httpx.post(shared["url"] + "/ask", json={"question": "one more"}, timeout=10)
            assert busy.status_code == 503 and busy.headers["retry-after"]
            assert "busy" in busy.json()["error"]
            assert len(running) == 1  # one thread answers; the others wait their turn
        finally:
            release.set()
            for a in askers:
                a.join(60)
    store.close()
    assert codes == [200, 200, 200]


# --- 12: rate limits that are fair and bounded ---------------------------------------------------


def _ask_as(url: str, ip: str) -> int:
    r = httpx.post(url + "/ask", json={"question": "pricing"}, headers={"X-Forwarded-For": ip})
    return r.status_code


def test_busy_recipients_do_not_lock_others_out_of_a_link(share_server):
    """Six recipients asking all they may leave the link open for a seventh (the test server
    believes X-Forwarded-For from 127.0.0.1, as uvicorn does by default)."""
    shared = publish(share_server, sample_snapshot())
    for n in range(1, 7):
        codes = [_ask_as(shared["url"], f"198.51.100.{n}") for _ in range(7)]
        assert codes == [200] * 6 + [429], (n, codes)
    assert _ask_as(shared["url"], "198.51.100.7") == 200


def test_ipv6_clients_are_limited_per_64(share_server):
    shared = publish(share_server, sample_snapshot())
    assert [_ask_as(shared["url"], "2001:db8:0:5::1") for _ in range(6)] == [200] * 6
    assert _ask_as(shared["url"], "2001:db8:0:5::2") == 429  # the same /64: the same client
    assert _ask_as(shared["url"], "2001:db8:0:5:ffff:1:2:3") == 429
    assert _ask_as(shared["url"], "2001:db8:0:6::1") == 200  # the next /64 is someone else


def test_one_client_over_many_links_is_limited_too(share_server):
    links = [publish(share_server, sample_snapshot()) for _ in range(4)]
    codes = [_ask_as(link["url"], "203.0.113.9") for link in links for _ in range(6)]
    limit = share_server.app.server.limits.asks_per_client_all
    assert codes == [200] * limit + [429] * (24 - limit)


def test_the_rate_limits_kept_are_bounded_by_the_window_and_forgetting_locks_no_one_out(
    new_location,
):
    """A flood of addresses leaves a row each, until the job deletes those whose time has
    passed: what is kept is the clients of the last window, never a lockout."""
    from notes_app.share.ratelimit import Rate

    clock = test_share_helpers.MovableClock()
    store = SnapshotStore(new_location(), clock=clock)
    rate = Rate(2, 60)
    try:
        assert store.take([("early", rate)]) is None and store.take([("early", rate)]) is None
        assert store.take([("early", rate)]) is not None
        for n in range(300):  # a flood of addresses, all within the window
            clock.advance(0.01)
            assert store.take([(f"flood-{n}", rate)]) is None
        assert store.rates_kept() == 301
        assert store.forget_rates() == 0  # all still counting
        clock.advance(30)
        assert store.take([("late", rate)]) is None
        clock.advance(5)  # the flood's 30 s have run; "early" (60 s) and "late" still count
        assert store.forget_rates() == 300 and store.rates_kept() == 2
        assert store.take([("early", rate)]) is None and store.take([("early", rate)]) is not None
        clock.advance(120)
        assert store.forget_rates() == 2 and store.rates_kept() == 0
        assert store.take([("early", rate)]) is None  # forgotten: it starts afresh
    finally:
        store.close()


def test_the_rate_limiter_refills_steadily_and_counts_all_keys_or_none(new_location):
    from notes_app.share.ratelimit import Rate

    clock = test_share_helpers.MovableClock()
    store = SnapshotStore(new_location(), clock=clock)
    rate, wide = Rate(6, 60), Rate(8, 60)
    try:
        assert [store.take([("a", rate)]) for _ in range(6)] == [None] * 6
        wait = store.take([("a", rate)])
        assert wait is not None and 9 < wait <= 10
        clock.advance(10)
        assert store.take([("a", rate)]) is None and store.take([("a", rate)]) is not None
        clock.advance(60)
        assert [store.take([("a", rate)]) for _ in range(6)] == [None] * 6
        # Refused by one key, counted by none: "all" keeps its room for other links.
        assert [store.take([("b", rate), ("all", wide)]) for _ in range(6)] == [None] * 6
        assert store.take([("b", rate), ("all", wide)]) is not None
        assert [store.take([("c", rate), ("all", wide)]) for _ in range(2)] == [None] * 2
        assert store.take([("c", rate), ("all", wide)]) is not None  # "all" has had its 8
    finally:
        store.close()


# --- 13: questions only from the share's own page -----------------------------------------------


def test_ask_needs_json_and_the_same_origin(share_server):
    shared = publish(share_server, sample_snapshot())
    url = shared["url"] + "/ask"
    body = json.dumps({"question": "pricing"})
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                         "application/json-seq", None):  # fmt: skip
        headers = {"Content-Type": content_type} if content_type else {}
        r = httpx.post(url, content=body, headers=headers)
        assert r.status_code == 415, (content_type, r.status_code)
        assert "application/json" in r.json()["error"]
    assert httpx.post(url, content=body, headers=JSON).status_code == 200  # no Origin: not a page
    charset = {"Content-Type": "application/json; charset=utf-8"}
    assert httpx.post(url, content=body, headers=charset).status_code == 200
    own = share_server.url
    assert httpx.post(url, content=body, headers={**JSON, "Origin": own}).status_code == 200
    for origin in (
        "http://evil.example",
        "null",
        own + ".evil.example",
        own.replace("http:", "https:"),
    ):
        r = httpx.post(url, content=body, headers={**JSON, "Origin": origin})
        assert r.status_code == 403, origin
    for site in ("cross-site", "same-site"):
        r = httpx.post(url, content=body, headers={**JSON, "Sec-Fetch-Site": site})
        assert r.status_code == 403, site
    ok = {**JSON, "Sec-Fetch-Site": "same-origin", "Origin": own}
    assert httpx.post(url, content=body, headers=ok).status_code == 200


# --- 16: only the server's own host names are answered ------------------------------------------


def test_a_foreign_host_header_gets_nothing(share_server):
    shared = publish(share_server, sample_snapshot())
    path = "/s/" + shared["id"]
    for host in ("evil.example", "evil.example:80", "127.0.0.1.nip.io", "localhost.evil.example"):
        for method, target in (("GET", path), ("GET", path + "/"), ("GET", "/healthz"),
                               ("POST", path + "/ask"), ("GET", "/api/shares")):  # fmt: skip
            r = httpx.request(method, share_server.url + target, headers={"Host": host},
                              json={"question": "x"} if method == "POST" else None)  # fmt: skip
            assert r.status_code == 421, (host, target, r.status_code)
            assert "location" not in r.headers and "Launch" not in r.text
            assert r.headers["x-content-type-options"] == "nosniff"
    r = httpx.post(share_server.url + "/api/shares", json=sample_snapshot().to_dict(),
                   headers={**_auth(share_server), "Host": "evil.example"})  # fmt: skip
    assert r.status_code == 421  # a link is never made to point at another host
    for host in ("127.0.0.1", "localhost", "LOCALHOST:1234", "[::1]:8765"):
        assert httpx.get(share_server.url + path, headers={"Host": host}).status_code == 200
    slash = httpx.get(share_server.url + path + "/")  # a redirect stays on this server
    assert slash.status_code in (307, 308)
    assert slash.headers["location"].startswith(share_server.url + "/s/")


def test_a_public_server_answers_only_its_public_host(new_location):
    store = SnapshotStore(new_location(), clock=lambda: 1e9)
    token = store.create_token("tests")
    app = create_app(store, clock=lambda: 1e9, public_url="https://notes.example.com/")
    public = {"Host": "notes.example.com"}
    with serve_in_thread(app) as url:
        r = httpx.post(url + "/api/shares", json=sample_snapshot().to_dict(),
                       headers={"Authorization": f"Bearer {token}", **public})  # fmt: skip
        assert r.status_code == 201
        assert r.json()["url"].startswith("https://notes.example.com/s/")
        path = "/s/" + r.json()["id"]
        assert httpx.get(url + path, headers=public).status_code == 200
        assert httpx.get(url + path).status_code == 421  # 127.0.0.1 is not its name
        assert httpx.get(url + path, headers={"Host": "evil.example"}).status_code == 421
        asked = httpx.post(url + path + "/ask", json={"question": "launch?"},
                           headers={**public, "Origin": "https://notes.example.com"})  # fmt: skip
        assert asked.status_code == 200
    store.close()


# --- what held up, kept under test ------------------------------------------------------------


def test_share_ids_carry_192_bits(share_server):
    import base64

    ids = {publish(share_server, sample_snapshot())["id"] for _ in range(5)}
    assert len(ids) == 5
    for share_id in ids:
        assert len(base64.urlsafe_b64decode(share_id + "=" * (-len(share_id) % 4))) == 24


def test_the_servers_llm_key_is_never_echoed(new_location):
    from llm_fixtures import llm_settings
    from llm_server import Reply, ScriptedLLMServer

    from notes_app.share.answer import answerer_for

    key = "sk-test-SECRET-1234"
    with ScriptedLLMServer(models=["test-model"]) as llm:
        for _ in range(6):
            llm.queue(Reply.error(401, f"Incorrect API key provided: {key}"))
        store = SnapshotStore(new_location(), clock=lambda: 1e9)
        token = store.create_token("tests")
        answerer = answerer_for(llm_settings(llm.base_url, api_key=key, max_retries=0))
        app = create_app(store, clock=lambda: 1e9, answerer=answerer)
        with serve_in_thread(app) as url:
            server = test_share_helpers.RunningServer(url, token, store, None)
            shared = publish(server, sample_snapshot(), include_transcript=True)
            r = httpx.post(shared["url"] + "/ask", json={"question": "Who owns pricing?"})
            page = httpx.get(shared["url"])
        store.close()
        assert llm.requests, "the LLM was asked"
    assert r.status_code == 200 and r.json()["mode"] != "llm"  # answered without the model
    for response in (r, page):
        assert "SECRET" not in response.text and "SECRET" not in str(response.headers)
