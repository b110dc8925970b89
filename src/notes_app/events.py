"""Progress and streaming as small frozen dataclasses, not tagged tuples.

Long jobs (enhancement, transcription, recovery) report through one ``on_event(event)``
callback; the command line prints these, the window forwards them to its widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from notes_app.domain import Block


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
