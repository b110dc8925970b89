"""What the share server's store hands out: a share's record, a share with its content, a token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from notes_app.errors import ShareError
from notes_app.share.model import Snapshot

INFO_COLUMNS = (
    "id, token_hash, include_transcript, allow_questions, created_at, expires_at, revoked_at, size"
)
INFO_NAMES = INFO_COLUMNS.split(", ")


@dataclass(frozen=True)
class ShareInfo:
    """What the server knows of a share without reading its content."""

    id: str
    token_hash: str
    include_transcript: bool
    allow_questions: bool
    created_at: float
    expires_at: float | None
    revoked_at: float | None
    size: int  # bytes of the stored snapshot
    title: str | None = None  # only where asked for (listing); None once the content is gone

    def live(self, now: float) -> bool:
        """Readable now: not revoked and not past its expiry."""
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> ShareInfo:
        """From the columns INFO_COLUMNS names, in that order (then the title, if selected)."""
        return cls(
            id=row[0],
            token_hash=row[1],
            include_transcript=bool(row[2]),
            allow_questions=bool(row[3]),
            created_at=row[4],
            expires_at=row[5],
            revoked_at=row[6],
            size=row[7],
            title=row[8] if len(row) > 8 else None,
        )


@dataclass(frozen=True)
class StoredShare:
    """A live share with its content."""

    info: ShareInfo
    snapshot: Snapshot

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def title(self) -> str:
        return self.snapshot.title


@dataclass(frozen=True)
class TokenInfo:
    name: str
    created_at: float
    expires_at: float | None
    revoked_at: float | None
    live_shares: int

    def status(self, now: float) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return "active"


class QuotaExceeded(ShareError):
    """A publish that would take a token past its number of live links or bytes."""
