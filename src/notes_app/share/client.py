"""The desktop's side of the share API: publish, list and revoke over HTTP.

Nothing goes to a plain-HTTP server that has not proved it issued our token (``verified.py``);
HTTPS servers are proved by their certificate. The HTTP client is injectable; every failure
becomes a ``ShareError`` that says what to check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from notes_app.errors import ShareError
from notes_app.share.model import ShareOptions, Snapshot
from notes_app.share.verified import client_for


@dataclass(frozen=True)
class PublishedShare:
    id: str
    url: str
    expires_at: str | None  # ISO 8601, UTC; None when it never expires


class ShareClient:
    def __init__(
        self,
        server_url: str,
        token: str,
        *,
        http: httpx.Client | None = None,
        timeout: float = 30.0,
    ):
        if not server_url:
            raise ShareError(
                "No share server is set. Set one with `notes-app config set share.server_url URL`."
            )
        self.server_url = server_url.rstrip("/")
        self.token = token
        self.http = http or client_for(self.server_url, token, timeout)

    def verify(self) -> None:
        """Check the server is ours (over HTTP: it proves it holds our token's hash) and up;
        raises ``ShareError`` otherwise. Sends no token and no content."""
        try:
            response = self.http.get(self.server_url + "/healthz")
        except httpx.HTTPError as e:
            raise ShareError(f"Cannot reach the share server at {self.server_url} ({e}).") from None
        if response.status_code != 200:
            raise _failure(response, self.server_url)

    def publish(self, snapshot: Snapshot, options: ShareOptions) -> PublishedShare:
        payload = {**snapshot.to_dict(), **options.to_dict()}
        if not options.include_transcript:
            payload["segments"] = []  # what is not shared never leaves this machine
        data = self._call("POST", "/api/shares", json=payload, expect=(201,))
        return PublishedShare(id=data["id"], url=data["url"], expires_at=data.get("expires_at"))

    def list(self) -> list[dict[str, Any]]:
        return self._call("GET", "/api/shares", expect=(200,))["shares"]

    def revoke(self, share_id: str) -> bool:
        """Revoke a share; False if the server does not know it (already gone, or not ours)."""
        try:
            self._call("DELETE", f"/api/shares/{share_id}", expect=(200,))
        except _NotFound:
            return False
        return True

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ShareClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, *, expect: tuple[int, ...], **kwargs) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            response = self.http.request(method, self.server_url + path, headers=headers, **kwargs)
        except httpx.HTTPError as e:
            raise ShareError(
                f"Cannot reach the share server at {self.server_url} ({e}). Check that it is "
                "running and that share.server_url is right."
            ) from None
        if response.status_code in expect:
            return response.json()
        raise _failure(response, self.server_url)


class _NotFound(ShareError):
    pass


def _failure(response: httpx.Response, server_url: str) -> ShareError:
    status = response.status_code
    if status == 401:
        why = _detail(response)
        why = why.split(". ")[0] + ". " if why.startswith("This API token") else ""
        return ShareError(
            f"The share server at {server_url} refused the token. {why}Set the right one with "
            "`notes-app config set share.token TOKEN` (its admin creates tokens with "
            "`notes-app serve --create-token NAME`)."
        )
    if status == 404:
        return _NotFound(f"The share server at {server_url} has no such share.")
    if status == 413:
        return ShareError(
            "These notes are too large for the share server. Share without --transcript, "
            "or send a file with `notes-app export --format html`."
        )
    return ShareError(f"The share server answered {status}: {_detail(response) or 'no details'}.")


def _detail(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    return str(data.get("error", "")) if isinstance(data, dict) else ""
