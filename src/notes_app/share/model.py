"""What a share link carries: a snapshot of one meeting's notes, and the options it was shared with.

The desktop builds a ``Snapshot`` from stored data and sends ``to_dict()`` to the share server;
the server reads it back with ``from_dict``, which refuses anything malformed with a ``ShareError``
so a bad publish never stores half a snapshot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from notes_app.domain import (
    BLOCK_TYPES,
    SOURCES,
    Block,
    EnhancedNotes,
    Meeting,
    Segment,
    Transcript,
)
from notes_app.errors import ShareError

DEFAULT_EXPIRES = "30d"
MAX_EXPIRY_DAYS = 3650
MAX_TITLE = 500
MAX_ATTENDEES = 200
MAX_BLOCKS = 5000
MAX_SEGMENTS = 50000

_EXPIRY = re.compile(r"^\s*(\d{1,5})\s*([dh])\s*$")


def parse_expiry(text: str | None) -> int | None:
    """``"7d"``, ``"12h"`` or ``"never"`` → seconds until expiry (None for never)."""
    text = DEFAULT_EXPIRES if text is None else str(text)
    if text.strip().lower() == "never":
        return None
    match = _EXPIRY.match(text.lower())
    if not match:
        raise ShareError(
            f"Cannot read the expiry {text!r}: use a number of days or hours like 7d, 30d, 12h, "
            "or never."
        )
    amount, unit = int(match.group(1)), match.group(2)
    seconds = amount * (86400 if unit == "d" else 3600)
    if seconds <= 0 or seconds > MAX_EXPIRY_DAYS * 86400:
        raise ShareError(f"The expiry {text!r} must be between 1h and {MAX_EXPIRY_DAYS}d.")
    return seconds


@dataclass(frozen=True)
class ShareOptions:
    include_transcript: bool = False
    expires: str = DEFAULT_EXPIRES  # "7d", "30d", "12h" or "never"
    allow_questions: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "include_transcript": self.include_transcript,
            "expires": self.expires,
            "allow_questions": self.allow_questions,
        }

    @classmethod
    def from_dict(cls, d: Any) -> ShareOptions:
        d = d if isinstance(d, dict) else {}
        options = cls(
            include_transcript=_flag(d, "include_transcript", False),
            expires=str(d.get("expires", DEFAULT_EXPIRES)),
            allow_questions=_flag(d, "allow_questions", True),
        )
        parse_expiry(options.expires)  # validate now, before anything is stored
        return options


def _flag(d: dict[str, Any], key: str, default: bool) -> bool:
    value = d.get(key, default)
    if not isinstance(value, bool):
        raise ShareError(f"The option {key} must be true or false.")
    return value


@dataclass(frozen=True)
class Snapshot:
    """One meeting as the recipient sees it (``segments`` only when the transcript is shared)."""

    title: str
    date: str | None
    attendees: tuple[str, ...]
    blocks: tuple[Block, ...]
    segments: tuple[Segment, ...] = ()

    @classmethod
    def of(
        cls, meeting: Meeting, notes: EnhancedNotes, transcript: Transcript | None = None
    ) -> Snapshot:
        return cls(
            title=meeting.title,
            date=meeting.started_at,
            attendees=tuple(meeting.attendees),
            blocks=tuple(notes.blocks),
            segments=tuple(transcript.segments) if transcript else (),
        )

    def by_index(self) -> dict[int, Segment]:
        return {s.index: s for s in self.segments}

    def without_transcript(self) -> Snapshot:
        return Snapshot(self.title, self.date, self.attendees, self.blocks, ())

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "date": self.date,
            "attendees": list(self.attendees),
            "blocks": [b.to_dict() for b in self.blocks],
            "segments": [s.to_dict() for s in self.segments],
        }

    @classmethod
    def from_dict(cls, d: Any) -> Snapshot:
        if not isinstance(d, dict):
            raise ShareError("The snapshot must be a JSON object with title and blocks.")
        try:
            return cls(
                title=_text(d.get("title"), "title", MAX_TITLE) or "Untitled meeting",
                date=_text(d.get("date"), "date", 64) or None,
                attendees=tuple(
                    _text(a, "attendee", MAX_TITLE) for a in _list(d, "attendees", MAX_ATTENDEES)
                ),
                blocks=tuple(_block(b) for b in _list(d, "blocks", MAX_BLOCKS)),
                segments=tuple(Segment.from_dict(s) for s in _list(d, "segments", MAX_SEGMENTS)),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ShareError(f"The snapshot is malformed ({type(e).__name__}: {e}).") from None


def _text(value: Any, what: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ShareError(f"The {what} must be text.")
    if len(value) > limit:
        raise ShareError(f"The {what} is longer than {limit} characters.")
    return value


def _list(d: dict[str, Any], key: str, limit: int) -> list[Any]:
    value = d.get(key) or []
    if not isinstance(value, list):
        raise ShareError(f"The snapshot's {key} must be a list.")
    if len(value) > limit:
        raise ShareError(f"The snapshot has more than {limit} {key}.")
    return value


def _block(d: Any) -> Block:
    block = Block.from_dict(d)
    if block.type not in BLOCK_TYPES or block.source not in SOURCES:
        raise ShareError(f"A block has an unknown type or source ({block.type}, {block.source}).")
    if not isinstance(block.text, str):
        raise ShareError("A block's text must be text.")
    return block
