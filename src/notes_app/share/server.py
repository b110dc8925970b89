"""The share server: an ASGI app (Starlette) that serves share links; ``notes-app serve`` runs it.

Publishers use the API with a bearer token; recipients open ``/s/{id}`` and may ask questions.
Unknown, revoked and expired ids all get the very same plain 404, so a link's history leaks
nothing. Every response carries hardening headers; pages get a strict CSP with a fresh nonce.
The clock, the store and the answerer are injected so tests can move time and swap parts.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from notes_app.errors import ShareError, StorageError
from notes_app.share.answer import ShareAnswer, answer_question, forget_unused_indexes
from notes_app.share.cache import ByteLRU
from notes_app.share.model import ShareOptions, Snapshot
from notes_app.share.page import NOT_FOUND_BODY, page_parts, render_page
from notes_app.share.proof import proof
from notes_app.share.ratelimit import Rate, client_key
from notes_app.share.snapshots import QuotaExceeded, ShareInfo, SnapshotStore, StoredShare

MISDIRECTED_BODY = "This server does not serve that host name.\n"
PURGE_EVERY = 3600.0  # seconds between purges of expired content, by the server's clock
FORGET_RATES_EVERY = 60.0  # seconds between deletions of rate limits that have run out
PURGE_CHECK_SECONDS = 60.0  # how often the idle server looks at that clock (and its caches)
UNAVAILABLE = "The share server cannot reach its database: try again in a minute."
HEALTH_TEXT = "notes-app share server"

BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",  # revocation must take effect at once, so nothing is cached
    "Cross-Origin-Opener-Policy": "same-origin",
}
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"

Answerer = Callable[[Snapshot, str], ShareAnswer]

log = logging.getLogger(__name__)


def page_csp(nonce: str) -> str:
    return (
        "default-src 'none'; "
        f"style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
        "connect-src 'self'; form-action 'self'; img-src 'none'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )


@dataclass(frozen=True)
class Limits:
    """What one publisher or recipient may make the server hold or do.

    Questions are the costly request, so they are counted and answered by a few threads at a
    time; pages are rendered once per share and kept within a byte budget.
    """

    publish_bytes: int = 4 * 1024 * 1024  # one snapshot as sent
    shares_per_token: int = 1000  # live links one token may have
    bytes_per_token: int = 256 * 1024 * 1024  # stored bytes of one token's live links
    ask_bytes: int = 4096
    question_chars: int = 500
    asks_per_client: int = 20  # per window, one client (an IPv4 address or IPv6 /64) on one link
    asks_per_client_all: int = 60  # per window, one client over all links
    window_seconds: float = 60.0
    page_cache_bytes: int = 48 * 1024 * 1024  # rendered pages kept in memory
    render_threads: int = 2  # pages rendered (and snapshots parsed) at once
    store_threads: int = 4  # writes to the store at once (revoke, rate limits, jobs)
    answer_threads: int = 2  # questions answered at once
    answers_waiting: int = 16  # questions queued behind those; more are told to come back


class ShareApp:
    """The ASGI app ``create_app`` returns; ``server`` is its state, for tests and benchmarks."""

    def __init__(self, server: _ShareServer, asgi: ASGIApp):
        self.server = server
        self._asgi = asgi

    async def __call__(self, scope, receive, send) -> None:
        await self._asgi(scope, receive, send)


def create_app(
    store: SnapshotStore,
    *,
    clock: Callable[[], float] = time.time,
    public_url: str | None = None,
    answerer: Answerer | None = None,
    limits: Limits | None = None,
    hosts: Collection[str] | None = None,
    owns_store: bool = False,
) -> ShareApp:
    """The ASGI app. ``public_url`` is where recipients reach it (default: the request's host).
    ``owns_store``: the app closes the store when it shuts down (a worker's app does).

    Only requests for ``hosts`` are answered (default: the public URL's host, else this
    computer's loopback names), so a page whose name was pointed at this server (DNS rebinding)
    gets nothing, and no link or redirect is ever built from a foreign name.
    """
    if hosts is None:
        hosts = allowed_hosts(public_url, "127.0.0.1" if not public_url else None)
    server = _ShareServer(store, clock, public_url, answerer or answer_question, limits or Limits())
    server.owns_store = owns_store
    routes = [
        Route("/healthz", server.health, methods=["GET"]),
        Route("/api/hello", server.hello, methods=["GET"]),
        Route("/api/shares", server.publish, methods=["POST"]),
        Route("/api/shares", server.list_shares, methods=["GET"]),
        Route("/api/shares/{share_id}", server.revoke, methods=["DELETE"]),
        Route("/s/{share_id}", server.page, methods=["GET"]),
        Route("/s/{share_id}/ask", server.ask, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error, StorageError: _unavailable},
        lifespan=server.lifespan,
    )
    # Outside Starlette's own error middleware, so a 500 gets the same headers as the rest.
    return ShareApp(server, _HardeningHeaders(_OnlyOurHosts(_Housekeeping(app, server), hosts)))


LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})


def allowed_hosts(public_url: str | None, listen_host: str | None) -> frozenset[str]:
    """The host names a server answers: its public URL's, and the loopback names when it
    listens on this computer only."""
    names = set()
    if public_url:
        names.add(_hostname(urlsplit(public_url).netloc))
    if listen_host is not None and is_loopback(listen_host):
        names |= LOOPBACK_NAMES
    return frozenset(names)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _hostname(authority: str) -> str:
    """``Example.com:8765`` → ``example.com``; ``[::1]:80`` → ``::1``."""
    authority = authority.rsplit("@", 1)[-1].strip().lower()
    if authority.startswith("["):
        return authority[1:].split("]", 1)[0]
    return authority.rsplit(":", 1)[0].rstrip(".") if ":" in authority else authority.rstrip(".")


class _ShareServer:
    def __init__(self, store, clock, public_url, answerer, limits: Limits):
        self.store: SnapshotStore = store
        self.clock = clock
        self.public_url = public_url.rstrip("/") if public_url else None
        self.answerer: Answerer = answerer
        self.limits = limits
        # Per client on each link, so busy recipients never use up a link for the others, and
        # per client over all links, so one client cannot spread out across many. Counted in
        # the store, so every worker on the database counts together.
        self.per_client_share = Rate(limits.asks_per_client, limits.window_seconds)
        self.per_client = Rate(limits.asks_per_client_all, limits.window_seconds)
        self.pages: ByteLRU[tuple[bytes, ...]] = ByteLRU(limits.page_cache_bytes)
        self._rendering: dict[str, anyio.Lock] = {}  # one render per share, however many ask
        self._render_threads = anyio.CapacityLimiter(limits.render_threads)
        self._answer_threads = anyio.CapacityLimiter(limits.answer_threads)
        self._store_threads = anyio.CapacityLimiter(limits.store_threads)
        self.answers_in_flight = 0
        self.owns_store = False
        # Jobs any worker may run, once each time they are due (claimed in the store); here,
        # when this worker next asks. At the first request: content that expired while stopped.
        self.jobs: dict[str, tuple[float, Callable[[], int]]] = {
            "purge": (PURGE_EVERY, store.purge),
            "forget-rates": (FORGET_RATES_EVERY, store.forget_rates),
        }
        self._next_ask = dict.fromkeys(self.jobs, 0.0)
        self.jobs_run: list[str] = []  # what this worker ran, oldest first (the last 100)

    # --- housekeeping -------------------------------------------------------------------------

    async def run_due_jobs(self) -> None:
        """Run the jobs that are due and that no other worker claimed first, off the event
        loop: the purge of expired content every hour and of spent rate limits every minute,
        by the injected clock."""
        now = self.clock()
        for name, (every, work) in self.jobs.items():
            if now < self._next_ask[name]:
                continue
            self._next_ask[name] = now + every  # tried again then, whatever happens now
            claimed, next_due = await self._in_store_thread(self.store.claim_job, name, every)
            self._next_ask[name] = next_due
            if not claimed:
                continue
            done = await self._in_store_thread(work)
            self.jobs_run = [*self.jobs_run[-99:], name]
            if done and name == "purge":
                log.info("Deleted the content of %d expired or revoked share(s).", done)

    def sweep_caches(self) -> None:
        """Drop what this worker keeps in memory of shares no longer live: another worker may
        have revoked them (this one would still answer 404, as it reads that from the store
        on every request, but the words should not stay in its memory either)."""
        gone = self.store.not_live(set(self.pages.keys()) | set(self.store.parsed_ids()))
        for share_id in gone:
            self.pages.pop(share_id)
        self.store.forget_parsed(gone)
        if gone:
            forget_unused_indexes()

    @asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        """While the server runs, purge even when nobody visits; close an owned store after."""
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(self._housekeeping_loop)
                yield
                tasks.cancel_scope.cancel()
        finally:
            if self.owns_store:
                self.store.close()

    async def _housekeeping_loop(self) -> None:
        while True:
            try:
                await self.run_due_jobs()
                await self._in_store_thread(self.sweep_caches)
            except Exception:  # a full disk now must not stop the purges after
                log.exception("Purging expired shares failed; trying again later.")
            await anyio.sleep(PURGE_CHECK_SECONDS)

    async def _in_store_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._store_threads)

    async def health(self, request: Request) -> Response:
        return PlainTextResponse(HEALTH_TEXT + " ok\n")

    async def hello(self, request: Request) -> Response:
        """Prove this is the server that issued a token, without the token being sent: the
        HMAC of the caller's fresh challenge, keyed by the token's stored hash (proof.py)."""
        key = request.query_params.get("key", "")
        challenge = request.query_params.get("challenge", "")
        if not (16 <= len(challenge) <= 128 and len(key) <= 64):
            return _error(400, "Send /api/hello?key=KEY_ID&challenge=RANDOM (16-128 characters).")
        token_hash = self.store.token_hash_for_key(key)
        if token_hash is None:
            return _error(403, "This server did not issue that token.")
        return JSONResponse({"proof": proof(token_hash, challenge)})

    # --- publisher API ------------------------------------------------------------------------

    async def publish(self, request: Request) -> Response:
        token = self._token(request)
        body = await _read_body(request, self.limits.publish_bytes)
        try:
            # Parsing, checking and storing a few megabytes takes a while: off the event loop.
            share = await anyio.to_thread.run_sync(
                self._store_publish, token, body, limiter=self._render_threads
            )
        except QuotaExceeded as e:
            return _error(403, str(e))
        except ShareError as e:
            return _error(400, str(e))
        except StorageError:
            log.exception("Could not store a published share.")
            return _error(503, "The share server could not save this share: try again later.")
        return JSONResponse(self._share_json(request, share.info), status_code=201)

    def _store_publish(self, token: str, body: bytes) -> StoredShare:
        data = _parse_json(body)
        snapshot = Snapshot.from_dict(data)
        options = ShareOptions.from_dict(data)
        limits = self.limits
        return self.store.publish(
            token,
            snapshot,
            options,
            max_live=limits.shares_per_token,
            max_bytes=limits.bytes_per_token,
        )

    async def list_shares(self, request: Request) -> Response:
        token = self._token(request)
        shares = [self._share_json(request, s) for s in self.store.list_for(token)]
        return JSONResponse({"shares": shares})

    async def revoke(self, request: Request) -> Response:
        token = self._token(request)
        share_id = request.path_params["share_id"]
        if not await self._in_store_thread(self.store.revoke, token, share_id):
            raise HTTPException(404)
        self.pages.pop(share_id)
        return JSONResponse({"id": share_id, "revoked": True})

    def _token(self, request: Request) -> str:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        state = self.store.token_state(token) if scheme.lower() == "bearer" and token else ""
        if state == "valid":
            return token
        why = {
            "revoked": "This API token was revoked. ",
            "expired": "This API token has expired. ",
        }.get(state, "")
        raise HTTPException(
            401,
            f"{why}A valid API token is needed: send `Authorization: Bearer TOKEN` "
            "(the server's admin creates one with `notes-app serve --create-token NAME`).",
            headers={"WWW-Authenticate": "Bearer"},
        )

    def _share_json(self, request: Request, share: ShareInfo) -> dict[str, Any]:
        base = self.public_url or str(request.base_url).rstrip("/")
        return {
            "id": share.id,
            "url": f"{base}/s/{share.id}",
            "title": share.title,
            "created_at": _iso(share.created_at),
            "expires_at": _iso(share.expires_at),
            "revoked": share.revoked_at is not None,
            "expired": share.expires_at is not None and self.clock() >= share.expires_at,
            "include_transcript": share.include_transcript,
            "allow_questions": share.allow_questions,
        }

    # --- recipients ---------------------------------------------------------------------------

    async def page(self, request: Request) -> Response:
        info = self._live(request)
        nonce = secrets.token_urlsafe(18)
        body = nonce.encode().join(await self._page_template(info))
        return Response(
            body,
            media_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": page_csp(nonce)},
        )

    async def ask(self, request: Request) -> Response:
        info = self._live(request)
        if not info.allow_questions:
            raise HTTPException(404)  # as if the box never existed
        refused = self._cross_origin(request) or _not_json(request)
        if refused is not None:
            return refused
        client = client_key(request.client.host if request.client else None)
        counted = [
            (f"link {info.id} {client}", self.per_client_share),
            (f"all {client}", self.per_client),
        ]
        wait = await self._in_store_thread(self.store.take, counted)
        if wait is not None:
            return _error(
                429,
                "Too many questions: wait a minute and ask again.",
                headers={"Retry-After": str(max(1, int(wait + 0.999)))},
            )
        body = await _read_body(request, self.limits.ask_bytes)
        try:
            question = _question(_parse_json(body), self.limits)
        except ShareError as e:
            return _error(400, str(e))
        if self.answers_in_flight >= self.limits.answer_threads + self.limits.answers_waiting:
            return _error(
                503,
                "The server is busy answering other questions: ask again in a few seconds.",
                headers={"Retry-After": "5"},
            )
        self.answers_in_flight += 1
        try:
            snapshot = await self._snapshot(info)
            answer = await anyio.to_thread.run_sync(
                self.answerer, snapshot, question, limiter=self._answer_threads
            )
        finally:
            self.answers_in_flight -= 1
        return JSONResponse(answer.to_dict())

    def _cross_origin(self, request: Request) -> Response | None:
        """A 403 for a question sent by a page on another site (a forged request: the share's
        own page sends it from its own origin). Clients that are not browsers send neither
        header and are let through; the rate limits and the JSON rule still hold for them."""
        origin = request.headers.get("origin")
        site = request.headers.get("sec-fetch-site")
        own = {f"{request.url.scheme}://{request.headers.get('host', '')}"}
        if self.public_url:
            own.add(_origin_of(self.public_url))
        if (origin is not None and origin not in own) or site not in (None, "same-origin"):
            return _error(403, "Questions can only be asked from the share's own page.")
        return None

    def _live(self, request: Request) -> ShareInfo:
        """The live share's options and times; the same 404 for unknown, revoked and expired,
        decided by one small lookup that reads no content."""
        share_id = request.path_params["share_id"]
        info = self.store.live_info(share_id)
        if info is None:
            # Revoked by another worker, perhaps: what this one keeps of it goes now.
            self.pages.pop(share_id)
            self.store.forget_parsed([share_id])
            raise HTTPException(404)
        return info

    async def _snapshot(self, info: ShareInfo) -> Snapshot:
        snapshot = await anyio.to_thread.run_sync(
            self.store.snapshot, info.id, limiter=self._render_threads
        )
        if snapshot is None:  # revoked a moment ago
            raise HTTPException(404)
        return snapshot

    async def _page_template(self, info: ShareInfo) -> tuple[bytes, ...]:
        """The share's page in pieces around the nonce: rendered once, off the event loop."""
        page = self.pages.get(info.id)
        if page is not None:
            return page
        lock = self._rendering.setdefault(info.id, anyio.Lock())
        try:
            async with lock:
                page = self.pages.get(info.id)
                if page is None:
                    snapshot = await self._snapshot(info)
                    page = await anyio.to_thread.run_sync(
                        self._render, info, snapshot, limiter=self._render_threads
                    )
                    self.pages.put(info.id, page, sum(len(part) for part in page))
        finally:
            if not lock.statistics().tasks_waiting:
                self._rendering.pop(info.id, None)
        return page

    @staticmethod
    def _render(info: ShareInfo, snapshot: Snapshot) -> tuple[bytes, ...]:
        page = render_page(
            info.id,
            snapshot,
            allow_questions=info.allow_questions,
            expires_at=info.expires_at,
        )
        return page_parts(page)


def _not_json(request: Request) -> Response | None:
    """A 415 unless the body is declared JSON: a form or a no-cors fetch from another site
    cannot send that type without the browser asking first, which this server never allows."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/json":
        return None
    return _error(415, 'Send the question as JSON with "Content-Type: application/json".')


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _question(data: Any, limits: Limits) -> str:
    question = data.get("question") if isinstance(data, dict) else None
    if not isinstance(question, str) or not question.strip():
        raise ShareError('Send JSON like {"question": "Who owns pricing?"}.')
    question = " ".join(question.split())
    if len(question) > limits.question_chars:
        raise ShareError(f"Keep the question under {limits.question_chars} characters.")
    return question


async def _read_body(request: Request, limit: int) -> bytes:
    """The body; over ``limit`` bytes is refused (413) without reading the rest."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise HTTPException(413, f"The request is larger than {limit} bytes.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"The request is larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        raise ShareError("The request body is not valid JSON.") from None


async def _unavailable(request: Request, exc: Exception) -> Response:
    """The database is out of reach (PostgreSQL restarting, a network fault): a 503 that says
    to come back, never a traceback."""
    log.error("The share server's store failed: %s", exc)
    return _error(503, UNAVAILABLE, headers={"Retry-After": "30"})


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        # One body for every missing thing: unknown, revoked, expired, or no such route.
        return PlainTextResponse(NOT_FOUND_BODY, status_code=404)
    return _error(exc.status_code, exc.detail, headers=exc.headers)


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds")


class _OnlyOurHosts:
    """ASGI middleware: a 421 with nothing in it for a Host this server does not go by."""

    def __init__(self, app: ASGIApp, hosts: Collection[str]):
        self.app = app
        self.hosts = frozenset(hosts)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if _hostname(host) not in self.hosts:
                response = PlainTextResponse(MISDIRECTED_BODY, status_code=421)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class _Housekeeping:
    """ASGI middleware: before a request, the jobs that are due (the hourly purge). A job that
    fails is logged and tried again at its next time; the request is answered regardless."""

    def __init__(self, app: ASGIApp, server: _ShareServer):
        self.app = app
        self.server = server

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            try:
                await self.server.run_due_jobs()
            except Exception:
                log.exception("A share server job failed; it runs again when next due.")
        await self.app(scope, receive, send)


class _HardeningHeaders:
    """ASGI middleware: the headers every response gets (pages add their own CSP first)."""

    def __init__(self, app: ASGIApp):
        self.app = app
        self._extra = [(k.lower().encode(), v.encode()) for k, v in BASE_HEADERS.items()]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in self._extra if k not in names]
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", API_CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
