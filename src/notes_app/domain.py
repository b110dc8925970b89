"""Frozen dataclasses passed between the stages.

audio → transcript (Segment, Transcript) → enhancement (Block, Citation, EnhancedNotes)
→ storage (Meeting) → search / ask / share. Each has ``to_dict`` giving the JSON shape the
CLI's ``--json`` prints, and ``from_dict`` reading it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

ME = "me"
THEM = "them"

# Channel numbers in a two-channel meeting recording: left = the user's mic, right = system audio.
CHANNEL_ME = 0
CHANNEL_THEM = 1
CHANNEL_SPEAKER = {CHANNEL_ME: ME, CHANNEL_THEM: THEM}

BLOCK_TYPES = ("heading", "bullet", "paragraph")
SOURCES = ("user", "ai")


@dataclass(frozen=True)
class Segment:
    """One stretch of transcribed speech. ``index`` is its position in the meeting's transcript."""

    index: int
    start: float
    end: float
    text: str
    speaker: str | None = None  # "me", "them", a name, or None when unknown
    channel: int | None = None  # CHANNEL_ME, CHANNEL_THEM, or None for mono / imported

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "start": round(float(self.start), 3),
            "end": round(float(self.end), 3),
            "speaker": self.speaker,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Segment:
        return cls(
            index=int(d["index"]),
            start=float(d["start"]),
            end=float(d["end"]),
            text=str(d["text"]),
            speaker=d.get("speaker"),
            channel=d.get("channel"),
        )


@dataclass(frozen=True)
class Transcript:
    segments: tuple[Segment, ...] = ()
    language: str | None = None

    @property
    def duration(self) -> float:
        return max((s.end for s in self.segments), default=0.0)

    def to_dict(self) -> dict[str, Any]:
        return {"segments": [s.to_dict() for s in self.segments]}

    def by_index(self) -> dict[int, Segment]:
        return {s.index: s for s in self.segments}


def renumber(segments: list[Segment] | tuple[Segment, ...]) -> tuple[Segment, ...]:
    """Sort segments by time (then channel) and give them indexes 0..n-1."""
    ordered = sorted(segments, key=lambda s: (s.start, s.end, s.channel or 0))
    return tuple(replace(s, index=i) for i, s in enumerate(ordered))


@dataclass(frozen=True)
class Citation:
    segment: int
    start: float
    end: float

    def to_dict(self) -> dict[str, Any]:
        return {"segment": self.segment, "start": round(self.start, 3), "end": round(self.end, 3)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Citation:
        return cls(segment=int(d["segment"]), start=float(d["start"]), end=float(d["end"]))

    @classmethod
    def of(cls, seg: Segment) -> Citation:
        return cls(segment=seg.index, start=seg.start, end=seg.end)


@dataclass(frozen=True)
class Block:
    """One line of enhanced notes.

    ``source`` says who wrote it: "user" blocks are the user's own lines, verbatim; "ai" blocks
    are added context and always carry citations. ``note_line`` is the 1-based line of the
    user's notes this block belongs to (None for sections the AI added, like action items).
    ``verified`` is False for an AI block whose facts could not be found in what it cites.
    """

    type: str
    text: str
    source: str
    note_line: int | None = None
    citations: tuple[Citation, ...] = ()
    verified: bool = True
    level: int = 1  # heading level (1-6); indentation depth for bullets
    marker: str = ""  # a user's ordered-list marker ("1.", "2)"), shown before the text

    @property
    def shown_text(self) -> str:
        """The text as the reader sees it: an ordered item keeps its number."""
        return f"{self.marker} {self.text}" if self.marker else self.text

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "type": self.type,
            "text": self.text,
            "source": self.source,
            "note_line": self.note_line,
            "citations": [c.to_dict() for c in self.citations],
        }
        if self.source == "ai":
            d["verified"] = self.verified
        if self.level != 1:
            d["level"] = self.level
        if self.marker:
            d["marker"] = self.marker
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Block:
        return cls(
            type=d["type"],
            text=d["text"],
            source=d["source"],
            note_line=d.get("note_line"),
            citations=tuple(Citation.from_dict(c) for c in d.get("citations", ())),
            verified=bool(d.get("verified", True)),
            level=int(d.get("level", 1)),
            marker=str(d.get("marker") or ""),
        )


@dataclass(frozen=True)
class EnhancedNotes:
    """One version of a meeting's enhanced notes. Regenerating adds a new version."""

    meeting_id: int | None
    mode: str  # "offline" or "llm"
    blocks: tuple[Block, ...]
    model: str | None = None
    template: str | None = None
    version: int | None = None
    created_at: str | None = None
    # One line for the user about this run (e.g. how many AI lines kept the offline text);
    # shown when the notes are made, not stored with them.
    notice: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "meeting_id": self.meeting_id,
            "mode": self.mode,
            "model": self.model,
            "template": self.template,
            "version": self.version,
            "created_at": self.created_at,
            "blocks": [b.to_dict() for b in self.blocks],
        }


@dataclass(frozen=True)
class Meeting:
    id: int
    title: str
    started_at: str | None = None  # ISO 8601, UTC
    ended_at: str | None = None
    duration: float | None = None  # seconds
    language: str | None = None
    audio_path: str | None = None
    status: str = "done"  # "recording" while a capture is running; "done" after
    attendees: tuple[str, ...] = field(default_factory=tuple)
    notes: str = ""  # the user's raw notes, exactly as typed
    agenda: str | None = None  # the notes as they stood when the recording started
    created_at: str | None = None
    updated_at: str | None = None
    folder: str | None = None  # "Clients/Acme"; None: in no folder
    tags: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "duration": self.duration,
            "language": self.language,
            "audio_path": self.audio_path,
            "status": self.status,
            "attendees": list(self.attendees),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "folder": self.folder,
            "tags": list(self.tags),
        }


@dataclass(frozen=True)
class MeetingHeader:
    """What a list of meetings shows of one: no notes, attendees or transcript, so a page of
    them is one small query however long the meetings are."""

    id: int
    title: str
    started_at: str | None = None  # ISO 8601, UTC
    duration: float | None = None  # seconds
    status: str = "done"
