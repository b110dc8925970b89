"""The desktop's record of the share links it published, so `shares` and `unshare` work offline.

A record outlives its meeting on purpose (no foreign key): deleting a meeting must not make its
published link impossible to find and revoke.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from notes_app.clock import now_iso
from notes_app.errors import ShareError
from notes_app.store.db import Database, rows, transaction

SAVE_FAILED = (
    "Could not save the share link record: {error}. Free disk space or close other copies of "
    "the app, then try again."
)


def install_shares_schema(db: Database) -> None:
    """Run by migration m004_shares. Never change it: add a new migration instead."""
    db.execute(
        """
        CREATE TABLE share_links (
            id TEXT PRIMARY KEY,
            meeting_id INTEGER,
            title TEXT NOT NULL,
            server_url TEXT NOT NULL,
            url TEXT NOT NULL,
            local INTEGER NOT NULL DEFAULT 0,
            include_transcript INTEGER NOT NULL DEFAULT 0,
            allow_questions INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            expires_at TEXT,
            revoked_at TEXT
        )
        """
    )
    db.execute("CREATE INDEX share_links_meeting ON share_links(meeting_id)")


@dataclass(frozen=True)
class ShareRecord:
    id: str
    meeting_id: int | None
    title: str
    server_url: str
    url: str
    local: bool  # served by the app's own server on 127.0.0.1: the link works on this machine only
    include_transcript: bool
    allow_questions: bool
    created_at: str
    expires_at: str | None
    revoked_at: str | None = None

    def status(self, now_iso_text: str) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= now_iso_text:
            return "expired"
        return "active"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "meeting_id": self.meeting_id,
            "title": self.title,
            "server_url": self.server_url,
            "url": self.url,
            "local": self.local,
            "include_transcript": self.include_transcript,
            "allow_questions": self.allow_questions,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "revoked_at": self.revoked_at,
            "status": self.status(now_iso()),
        }


class ShareRecords:
    def __init__(self, db: Database):
        self.db = db

    def add(self, record: ShareRecord) -> None:
        with transaction(self.db, SAVE_FAILED):
            self.db.execute(
                "INSERT INTO share_links (id, meeting_id, title, server_url, url, local,"
                " include_transcript, allow_questions, created_at, expires_at, revoked_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [
                    record.id,
                    record.meeting_id,
                    record.title,
                    record.server_url,
                    record.url,
                    int(record.local),
                    int(record.include_transcript),
                    int(record.allow_questions),
                    record.created_at,
                    record.expires_at,
                    record.revoked_at,
                ],
            )

    def get(self, share_id: str) -> ShareRecord:
        rows = self._rows("SELECT * FROM share_links WHERE id = ?", [share_id])
        if not rows:
            raise ShareError(f"No share link {share_id!r}. Run `notes-app shares` to see them.")
        return rows[0]

    def list(self, meeting_id: int | None = None) -> list[ShareRecord]:
        if meeting_id is None:
            return self._rows("SELECT * FROM share_links ORDER BY created_at DESC, rowid DESC", [])
        return self._rows(
            "SELECT * FROM share_links WHERE meeting_id = ? ORDER BY created_at DESC, rowid DESC",
            [meeting_id],
        )

    def mark_revoked(self, share_id: str) -> None:
        with transaction(self.db, SAVE_FAILED):
            self.db.execute(
                "UPDATE share_links SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?",
                [now_iso(), share_id],
            )

    def _rows(self, sql: str, params: list[Any]) -> list[ShareRecord]:
        return [_record(r) for r in rows(self.db, sql, params)]


def _record(row: dict[str, Any]) -> ShareRecord:
    return ShareRecord(
        id=row["id"],
        meeting_id=row["meeting_id"],
        title=row["title"],
        server_url=row["server_url"],
        url=row["url"],
        local=bool(row["local"]),
        include_transcript=bool(row["include_transcript"]),
        allow_questions=bool(row["allow_questions"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
    )
