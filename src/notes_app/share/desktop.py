"""Sharing from the desktop: publish a meeting's notes, list the links, revoke one.

Used by the command line (and the window) with the settings and repository from the composition
root. With no share server configured, links are published on the app's own server on
127.0.0.1 (``local.py``), and each record says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from notes_app.clock import now_iso
from notes_app.config import Settings
from notes_app.errors import ShareError
from notes_app.share.client import ShareClient
from notes_app.share.local import LocalServer, ensure_local_server
from notes_app.share.model import ShareOptions, Snapshot, parse_expiry
from notes_app.store.repo import Repo
from notes_app.store.shares import ShareRecord

LocalStarter = Callable[[Path], LocalServer]


@dataclass(frozen=True)
class Target:
    server_url: str
    token: str
    local: bool


class Sharing:
    """Publish, list and revoke share links; the records live in the desktop database."""

    def __init__(
        self,
        settings: Settings,
        repo: Repo,
        *,
        start_local: LocalStarter = ensure_local_server,
        client_factory: Callable[[str, str], ShareClient] = ShareClient,
    ):
        self.settings = settings
        self.repo = repo
        self.records = repo.shares
        self.start_local = start_local
        self.client_factory = client_factory

    def publish(self, meeting_id: int, options: ShareOptions) -> ShareRecord:
        parse_expiry(options.expires)  # a typo in --expires fails before anything is sent
        meeting = self.repo.get_meeting(meeting_id)
        notes = self.repo.get_enhanced(meeting_id)
        if notes is None:
            raise ShareError(
                f"Meeting {meeting_id} has no enhanced notes to share yet. "
                f"Run `notes-app enhance {meeting_id}` first."
            )
        transcript = self.repo.get_transcript(meeting_id) if options.include_transcript else None
        snapshot = Snapshot.of(meeting, notes, transcript)
        target = self._target()
        with self._client(target) as client:
            published = client.publish(snapshot, options)
        record = ShareRecord(
            id=published.id,
            meeting_id=meeting_id,
            title=meeting.title,
            server_url=target.server_url,
            url=published.url,
            local=target.local,
            include_transcript=options.include_transcript,
            allow_questions=options.allow_questions,
            created_at=now_iso(),
            expires_at=published.expires_at,
        )
        self.records.add(record)
        return record

    def list(self, meeting_id: int | None = None) -> list[ShareRecord]:
        return self.records.list(meeting_id)

    def revoke(self, share_id: str) -> tuple[ShareRecord, bool]:
        """Revoke at the server and mark the record; the flag is False if the server had no
        live copy any more (it expired, or was revoked before)."""
        record = self.records.get(share_id)
        target = self._target_for(record)
        with self._client(target) as client:
            found = client.revoke(share_id)  # asked again even if revoked before: it is cheap
        self.records.mark_revoked(share_id)
        return self.records.get(share_id), found and record.revoked_at is None

    def _target(self) -> Target:
        share = self.settings.share
        if share.server_url:
            if not share.token:
                raise ShareError(
                    f"No token for the share server {share.server_url}. Set one with "
                    "`notes-app config set share.token TOKEN` (the server's admin creates it "
                    "with `notes-app serve --create-token NAME`)."
                )
            return Target(share.server_url.rstrip("/"), share.token, local=False)
        server = self.start_local(self.settings.home)
        return Target(server.url, server.token, local=True)

    def _target_for(self, record: ShareRecord) -> Target:
        if record.local:
            # Started if need be: a stopped local server would serve the link again on restart.
            server = self.start_local(self.settings.home)
            return Target(server.url, server.token, local=True)
        return Target(record.server_url, self.settings.share.token, local=False)

    def _client(self, target: Target) -> ShareClient:
        return self.client_factory(target.server_url, target.token)
