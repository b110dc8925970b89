"""Choosing meetings to read: by start date and by who was there."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timezone

from notes_app.clock import parse_iso
from notes_app.domain import Meeting
from notes_app.errors import NotesAppError


def parse_since(since: str) -> datetime:
    """``since`` as a moment: a day (``2025-03-01``, from its start in this computer's time
    zone) or an ISO time; a NotesAppError naming the form when it is neither."""
    text = since.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        when = parse_iso(text)
        if when is None:
            raise NotesAppError(
                f"“{since}” is not a date: give a day as YYYY-MM-DD (e.g. 2025-03-01) or a time "
                "as 2025-03-01T09:00."
            ) from None
        return when if when.tzinfo else when.astimezone()
    return datetime.combine(day, time()).astimezone()


def select_meetings(
    meetings: Iterable[Meeting], *, since: str | None = None, attendee: str | None = None
) -> list[Meeting]:
    """The meetings started at or after ``since`` with an attendee whose name contains
    ``attendee`` (any case), in the order given."""
    start = parse_since(since) if since else None
    who = attendee.strip().casefold() if attendee else ""
    chosen = []
    for m in meetings:
        if start is not None:
            began = parse_iso(m.started_at)
            if began is None:
                continue
            if began.tzinfo is None:
                began = began.replace(tzinfo=timezone.utc)  # stored times are UTC
            if began < start:
                continue
        if who and not any(who in name.casefold() for name in m.attendees):
            continue
        chosen.append(m)
    return chosen
