"""What a share link carries: a snapshot of one meeting's notes, and the options it was shared with.

The desktop builds a ``Snapshot`` from stored data and sends ``to_dict()`` to the share server;
the server reads it back with ``from_dict``, which refuses anything malformed with a ``ShareError``
so a bad publish never stores half a snapshot.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from notes_app.domain import (
    BLOCK_TYPES,
    SOURCES,
    Block,
    Citation,
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
MAX_SEGMENTS = 20000  # a three-hour meeting has about 4000; each question reads them all
MAX_CITATIONS = 100
MAX_LINE = 20_000  # characters in one note line or transcript segment
MAX_INDEX = 10_000_000
MAX_SECONDS = 366 * 86400

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
        """Read a published snapshot, checking every field; a ``ShareError`` names the first bad
        one (``segments[3].speaker``), so nothing is stored that the page could not show."""
        if not isinstance(d, dict):
            raise ShareError("The snapshot must be a JSON object with title and blocks.")
        return cls(
            title=_text(d.get("title"), "title", MAX_TITLE) or "Untitled meeting",
            date=_text(d.get("date"), "date", 64) or None,
            attendees=tuple(
                _text(a, f"attendees[{i}]", MAX_TITLE)
                for i, a in enumerate(_list(d.get("attendees"), "attendees", MAX_ATTENDEES))
            ),
            blocks=tuple(
                _block(b, f"blocks[{i}]")
                for i, b in enumerate(_list(d.get("blocks"), "blocks", MAX_BLOCKS))
            ),
            segments=tuple(
                _segment(s, f"segments[{i}]")
                for i, s in enumerate(_list(d.get("segments"), "segments", MAX_SEGMENTS))
            ),
        )


def _bad(what: str, should: str) -> ShareError:
    return ShareError(f"The snapshot's {what} {should}.")


def _text(value: Any, what: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _bad(what, "must be text")
    if len(value) > limit:
        raise _bad(what, f"is longer than {limit} characters")
    return value


def _list(value: Any, what: str, limit: int) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad(what, "must be a list")
    if len(value) > limit:
        raise _bad(what, f"has more than {limit} entries")
    return value


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(what, "must be an object")
    return value


def _int(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(what, "must be a whole number")
    if not low <= value <= high:
        raise _bad(what, f"must be between {low} and {high}")
    return value


def _seconds(value: Any, what: str) -> float:
    """A time in the meeting: a finite number of seconds, not negative, under a year."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad(what, "must be a number of seconds")
    if not math.isfinite(value) or not 0 <= value <= MAX_SECONDS:
        raise _bad(what, f"must be between 0 and {MAX_SECONDS} seconds")
    return float(value)


def _span(d: dict[str, Any], what: str) -> tuple[float, float]:
    start = _seconds(d.get("start"), f"{what}.start")
    end = _seconds(d.get("end"), f"{what}.end")
    if end < start:
        raise _bad(f"{what}.end", "must not be before its start")
    return start, end


def _segment(value: Any, what: str) -> Segment:
    d = _object(value, what)
    start, end = _span(d, what)
    channel = d.get("channel")
    return Segment(
        index=_int(d.get("index"), f"{what}.index", 0, MAX_INDEX),
        start=start,
        end=end,
        text=_required_text(d.get("text"), f"{what}.text", MAX_LINE),
        speaker=_text(d.get("speaker"), f"{what}.speaker", MAX_TITLE) or None,
        channel=None if channel is None else _int(channel, f"{what}.channel", 0, 1),
    )


def _required_text(value: Any, what: str, limit: int) -> str:
    if not isinstance(value, str):
        raise _bad(what, "must be text")
    return _text(value, what, limit)


def _citation(value: Any, what: str) -> Citation:
    d = _object(value, what)
    start, end = _span(d, what)
    return Citation(_int(d.get("segment"), f"{what}.segment", 0, MAX_INDEX), start, end)


def _block(value: Any, what: str) -> Block:
    d = _object(value, what)
    kind, source = d.get("type"), d.get("source")
    if kind not in BLOCK_TYPES:
        raise _bad(f"{what}.type", f"must be one of {', '.join(BLOCK_TYPES)}")
    if source not in SOURCES:
        raise _bad(f"{what}.source", f"must be one of {', '.join(SOURCES)}")
    note_line = d.get("note_line")
    verified = d.get("verified", True)
    if not isinstance(verified, bool):
        raise _bad(f"{what}.verified", "must be true or false")
    cites = _list(d.get("citations"), f"{what}.citations", MAX_CITATIONS)
    return Block(
        type=kind,
        text=_required_text(d.get("text"), f"{what}.text", MAX_LINE),
        source=source,
        note_line=None if note_line is None else _int(note_line, f"{what}.note_line", 0, MAX_INDEX),
        citations=tuple(_citation(c, f"{what}.citations[{i}]") for i, c in enumerate(cites)),
        verified=verified,
        level=_int(d.get("level", 1), f"{what}.level", 0, 32),
        marker=_text(d.get("marker"), f"{what}.marker", 16),
    )
