"""The share server against its own users: malformed input, exhaustion, forged requests,
foreign hosts. A real uvicorn server on 127.0.0.1 and plain httpx requests throughout."""

from __future__ import annotations

import json

import httpx
import pytest
import test_share_helpers
from test_share_helpers import publish, sample_snapshot, serve_in_thread

from notes_app.share.server import BASE_HEADERS, create_app
from notes_app.share.snapshots import SnapshotStore

share_server = test_share_helpers.share_server  # the fixture: uvicorn on 127.0.0.1
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


def test_a_500_carries_the_security_headers_and_no_traceback(tmp_path):
    def broken(snapshot, question):
        raise RuntimeError("answerer exploded at /srv/secret/path")

    store = SnapshotStore(tmp_path / "srv", clock=lambda: 1e9)
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
