"""Progress and streaming as small frozen dataclasses, not tagged tuples.

Long jobs (enhancement, transcription, recovery) report through one ``on_event(event)``
callback; the command line prints these, the window forwards them to its widgets. A recording
(session.py) reports to a ``SessionListener``; it lives here, apart from the session, so the
window can listen without importing the recording machinery (audio, Whisper's stream, numpy)
before the user records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from notes_app.domain import Block, Segment
from notes_app.errors import NotesAppError


@dataclass(frozen=True)
class Progress:
    """``done`` of ``total`` units (seconds of audio, parts of a meeting); total may be unknown."""

    done: float
    total: float | None = None


@dataclass(frozen=True)
class BlockWritten:
    """A block of enhanced notes as the model wrote it; the checked result replaces these."""

    block: Block


Event = Progress | BlockWritten
OnEvent = Callable[[Event], None]


def progress_reporter(on_event: OnEvent | None) -> Callable[..., None] | None:
    """An ``on_progress(done, total=None)`` callback sending ``Progress`` events, or None."""
    if on_event is None:
        return None

    def report(done: float, total: float | None = None) -> None:
        on_event(Progress(done, total))

    return report


class SessionListener:
    """What a session reports, each method called on one of its threads. Every method does
    nothing here: subclass and override the ones you show."""

    def on_segment(self, segment: Segment) -> None:
        """A committed line of transcript, already saved."""

    def on_tentative(self, channel: int, text: str) -> None:
        """The speech in progress on ``channel``; "" clears it."""

    def on_level(self, channel: int, rms: float) -> None:
        """Input loudness, about ten times a second per channel."""

    def on_backlog(self, seconds: float) -> None:
        """How far the transcript is behind the audio."""

    def on_error(self, error: NotesAppError) -> None:
        """Something failed; recording goes on with what still works."""

    def on_warning(self, message: str) -> None:
        """Something the user should know before recording starts (e.g. no system audio)."""

    def on_catching_up(self, behind: bool) -> None:
        """True: the transcript fell behind and is decoded faster, less accurately, until it
        caught up (False); the final pass after the call restores the accuracy."""
