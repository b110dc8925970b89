"""The share server for real: uvicorn on 127.0.0.1, the desktop client, plain httpx requests."""

from __future__ import annotations

import re
import secrets

import httpx
import pytest
import test_share_helpers
from test_share_helpers import XSS, hostile_snapshot, publish, sample_snapshot, tags_of

from notes_app.errors import ShareError
from notes_app.share.client import ShareClient
from notes_app.share.model import ShareOptions

DAY = 86400
share_server = test_share_helpers.share_server  # the fixture: uvicorn on 127.0.0.1


def _client(server, token=None) -> ShareClient:
    return ShareClient(server.url, server.token if token is None else token)


def test_publish_through_client_then_read_page(share_server):
    with _client(share_server) as client:
        shared = client.publish(sample_snapshot(), ShareOptions(include_transcript=True))
    assert shared.url == f"{share_server.url}/s/{shared.id}"
    assert len(shared.id) == 32  # 24 random bytes (192 bits), URL-safe base64
    r = httpx.get(shared.url)
    assert r.status_code == 200
    page = r.text
    assert "<h1>Launch planning</h1>" in page
    assert "1 March 2025, 14:05 UTC" in page and "With Sarah, Tom" in page
    # Topics jump to anchors that exist.
    assert '<a href="#topic-0">Launch</a>' in page and '<a href="#topic-1">Pricing</a>' in page
    assert 'id="topic-0"' in page and 'id="topic-1"' in page
    # User text and AI text are distinct; unverified AI text is marked.
    assert '<li class="user">march 3?</li>' in page
    assert re.search(r'<li class="ai">Launch is set for March 3rd\.<span class="cite"', page)
    assert '<li class="ai unverified">Budget may double next year.' in page
    # With the transcript shared, a citation carries the quote.
    assert 'title="Them: Marketing wants the launch on March 3rd."' in page
    assert "Ask about this meeting" in page
    assert r.headers["x-robots-tag"].startswith("noindex")
    assert '<meta name="robots" content="noindex, nofollow">' in page


def test_without_transcript_citations_are_timestamps_only(share_server):
    with _client(share_server) as client:
        shared = client.publish(sample_snapshot(), ShareOptions())  # transcript off by default
    page = httpx.get(shared.url).text
    assert '<span class="cite" data-segment="1">00:04</span>' in page
    assert "Marketing wants" not in page  # the transcript never reached the server
    stored = share_server.store.get_live(shared.id)
    assert stored.snapshot.segments == ()


def test_questions_off_removes_box_and_endpoint(share_server):
    with _client(share_server) as client:
        shared = client.publish(sample_snapshot(), ShareOptions(allow_questions=False))
    page = httpx.get(shared.url).text
    assert "<form" not in page and "Ask about this meeting" not in page
    r = httpx.post(shared.url + "/ask", json={"question": "pricing?"})
    assert r.status_code == 404


def test_revoke_is_immediate_and_looks_like_unknown(share_server):
    with _client(share_server) as client:
        shared = client.publish(sample_snapshot(), ShareOptions())
        assert httpx.get(shared.url).status_code == 200
        assert client.revoke(shared.id) is True
        listed = {s["id"]: s for s in client.list()}
    gone = httpx.get(shared.url)
    unknown = httpx.get(f"{share_server.url}/s/{secrets.token_urlsafe(24)}")
    assert gone.status_code == unknown.status_code == 404
    assert gone.content == unknown.content
    assert gone.headers["content-type"] == unknown.headers["content-type"]
    assert listed[shared.id]["revoked"] is True


def test_expiry_by_moving_the_clock(share_server):
    with _client(share_server) as client:
        week = client.publish(sample_snapshot(), ShareOptions(expires="7d"))
        forever = client.publish(sample_snapshot(), ShareOptions(expires="never"))
    assert week.expires_at is not None and forever.expires_at is None
    share_server.clock.advance(7 * DAY - 60)
    assert httpx.get(week.url).status_code == 200
    share_server.clock.advance(120)
    expired = httpx.get(week.url)
    assert expired.status_code == 404
    assert expired.content == httpx.get(f"{share_server.url}/s/nope").content
    assert httpx.get(week.url + "/ask").status_code in (404, 405)
    assert httpx.post(week.url + "/ask", json={"question": "x"}).status_code == 404
    share_server.clock.advance(3650 * DAY)
    assert httpx.get(forever.url).status_code == 200


def test_default_expiry_is_thirty_days(share_server):
    shared = publish(share_server, sample_snapshot())
    share_server.clock.advance(30 * DAY + 1)
    assert httpx.get(shared["url"]).status_code == 404


def test_wrong_or_missing_token_is_401(share_server):
    body = sample_snapshot().to_dict()
    url = share_server.url + "/api/shares"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": share_server.token}):
        assert httpx.post(url, json=body, headers=headers).status_code == 401
        assert httpx.get(url, headers=headers).status_code == 401
    with pytest.raises(ShareError, match="refused the token"):
        _client(share_server, token="not-a-token").publish(sample_snapshot(), ShareOptions())


def test_revoke_needs_the_publishing_token(share_server):
    shared = publish(share_server, sample_snapshot())
    other = share_server.store.create_token("someone else")
    with ShareClient(share_server.url, other) as client:
        assert client.revoke(shared["id"]) is False
        assert client.list() == []
    assert httpx.get(shared["url"]).status_code == 200


def test_random_ids_all_get_the_same_404(share_server):
    bodies = set()
    for share_id in [secrets.token_urlsafe(24) for _ in range(5)] + ["x", "%3Cscript%3E"]:
        r = httpx.get(f"{share_server.url}/s/{share_id}")
        assert r.status_code == 404
        bodies.add((r.content, r.headers["content-type"]))
    r = httpx.get(f"{share_server.url}/no/such/route")
    bodies.add((r.content, r.headers["content-type"]))
    assert len(bodies) == 1


def test_hostile_content_is_inert(share_server):
    shared = publish(share_server, hostile_snapshot(), include_transcript=True)
    r = httpx.get(shared["url"])
    page = r.text
    tags = tags_of(page)
    allowed = {
        "html", "head", "meta", "title", "style", "body", "main", "header", "h1", "h2", "h3",
        "p", "span", "nav", "ol", "ul", "li", "a", "article", "section", "details", "summary",
        "form", "input", "button", "div", "footer", "script",
    }  # fmt: skip
    assert {t for t, _ in tags} <= allowed
    for tag, attrs in tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert not (attrs.get("href") or "#").lower().lstrip().startswith(("javascript:", "data:"))
        assert "srcdoc" not in attrs and "src" not in attrs
    scripts = [a for t, a in tags if t == "script"]
    assert len(scripts) == 1  # ours, nothing from the content
    csp = r.headers["content-security-policy"]
    nonce = re.search(r"script-src 'nonce-([^']+)'", csp).group(1)
    assert scripts[0]["nonce"] == nonce
    assert page.count(nonce) == 2  # the one style and the one script; not the content's slot
    assert "&lt;%nonce%&gt;" in page
    for x in XSS[:2]:
        assert x not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_security_headers(share_server):
    shared = publish(share_server, sample_snapshot())
    first, second = httpx.get(shared["url"]), httpx.get(shared["url"])
    csp = first.headers["content-security-policy"]
    for part in (
        "default-src 'none'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "img-src 'none'",
    ):
        assert part in csp
    assert "unsafe-inline" not in csp
    assert csp != second.headers["content-security-policy"]  # a fresh nonce per response
    assert first.headers["x-content-type-options"] == "nosniff"
    assert first.headers["referrer-policy"] == "no-referrer"
    assert first.headers["cache-control"] == "no-store"
    api = httpx.get(share_server.url + "/api/shares")
    assert api.headers["content-security-policy"].startswith("default-src 'none'")


def test_ask_returns_a_cited_answer(share_server):
    shared = publish(share_server, sample_snapshot(), include_transcript=True)
    r = httpx.post(shared["url"] + "/ask", json={"question": "Who owns the pricing page?"})
    assert r.status_code == 200
    data = r.json()
    assert "Sarah" in data["answer"]
    assert data["citations"], data
    cited = {c["segment"] for c in data["citations"]}
    assert 2 in cited
    (said,) = [c for c in data["citations"] if c["segment"] == 2 and c["kind"] == "transcript"]
    assert "pricing page" in said["quote"]
    assert said["time"] == "00:04"  # the quote opens with the turn before it, at 00:04


@pytest.mark.parametrize(("attendees", "who"), [(("Tom",), "Tom"), (("Sarah", "Tom"), "Them")])
def test_ask_quotes_the_one_attendee_by_name(share_server, attendees, who):
    snapshot = sample_snapshot(attendees=attendees)
    shared = publish(share_server, snapshot, include_transcript=True)
    r = httpx.post(shared["url"] + "/ask", json={"question": "Who owns the pricing page?"})
    (said,) = [c for c in r.json()["citations"] if c["segment"] == 2 and c["kind"] == "transcript"]
    assert said["quote"].splitlines() == [
        f"{who}: Marketing wants the launch on March 3rd.",
        f"{who}: Sarah will own the pricing page and send a draft by Friday.",
        "You: The budget is 4.2 million for the year.",
    ]


def test_ask_uses_only_shared_content(share_server):
    shared = publish(share_server, sample_snapshot())  # no transcript
    data = httpx.post(shared["url"] + "/ask", json={"question": "What is the budget?"}).json()
    # "4.2 million" was only said in the transcript, which was not shared; the unverified AI
    # line about the budget is no source either.
    assert "4.2" not in data["answer"] and "double" not in data["answer"]
    data = httpx.post(shared["url"] + "/ask", json={"question": "When is the launch?"}).json()
    assert "March 3rd" in data["answer"]
    assert data["citations"] and all(c["kind"] != "transcript" for c in data["citations"])


def test_bad_questions_are_400(share_server):
    shared = publish(share_server, sample_snapshot())
    url = shared["url"] + "/ask"
    assert httpx.post(url, json={"question": "  "}).status_code == 400
    assert httpx.post(url, json={"q": "x"}).status_code == 400
    json_type = {"Content-Type": "application/json"}
    assert httpx.post(url, content=b"not json", headers=json_type).status_code == 400
    r = httpx.post(url, json={"question": "x" * 600})
    assert r.status_code == 400 and "500" in r.json()["error"]


def test_rate_limit_per_client_on_each_link(share_server):
    shared = publish(share_server, sample_snapshot())
    url = shared["url"] + "/ask"
    codes = [httpx.post(url, json={"question": "pricing"}).status_code for _ in range(7)]
    assert codes == [200] * 6 + [429]
    r = httpx.post(url, json={"question": "pricing"})
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60
    # Another share is limited separately for the same client... until the window passes.
    other = publish(share_server, sample_snapshot())
    share_server.clock.advance(61)
    assert httpx.post(other["url"] + "/ask", json={"question": "pricing"}).status_code == 200
    assert httpx.post(url, json={"question": "pricing"}).status_code == 200


def test_rate_limiter_allows_a_burst_then_waits(share_server):
    from notes_app.share.ratelimit import Rate

    store, rate = share_server.store, Rate(3, 60)
    assert [store.take([("share", rate)]) for _ in range(3)] == [None] * 3
    wait = store.take([("share", rate)])
    assert wait is not None and 0 < wait <= 60
    share_server.clock.advance(60)
    assert store.take([("share", rate)]) is None


def test_body_too_large_is_413(share_server):
    shared = publish(share_server, sample_snapshot())
    r = httpx.post(shared["url"] + "/ask", json={"question": "x" * 5000})
    assert r.status_code == 413
    json_type = {"Content-Type": "application/json"}
    huge = sample_snapshot().to_dict()
    huge["title"] = "t"
    huge["attendees"] = ["x" * 400] * 600
    r = httpx.post(
        share_server.url + "/api/shares",
        json=huge,
        headers={"Authorization": f"Bearer {share_server.token}"},
    )
    assert r.status_code == 413

    def chunks():  # no Content-Length: the limit holds while streaming too
        for _ in range(10):
            yield b"x" * 1024

    r = httpx.post(shared["url"] + "/ask", content=chunks(), headers=json_type)
    assert r.status_code == 413


def test_malformed_snapshot_is_400_and_stores_nothing(share_server):
    headers = {"Authorization": f"Bearer {share_server.token}"}
    url = share_server.url + "/api/shares"
    bad = [
        {"title": "x", "blocks": [{"type": "script", "text": "x", "source": "user"}]},
        {"title": 5, "blocks": []},
        {"title": "x", "blocks": "nope"},
        {"title": "x", "blocks": [], "expires": "soon"},
        {"title": "x", "blocks": [], "allow_questions": "yes"},
        [1, 2],
    ]
    for body in bad:
        r = httpx.post(url, json=body, headers=headers)
        assert r.status_code == 400, body
        assert r.json()["error"]
    assert httpx.get(url, headers=headers).json() == {"shares": []}
