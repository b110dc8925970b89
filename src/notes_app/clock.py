"""Time as the app writes and shows it: stored timestamps, meeting clocks, human dates.

At the bottom of the stage order: every stage may import it, it imports nothing of ours.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone


def now_iso() -> str:
    """Now, as stored: UTC, ISO 8601, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def clock(seconds: float) -> str:
    """``mm:ss`` for a time into a meeting, ``h:mm:ss`` past an hour."""
    s = int(max(seconds, 0))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"


def parse_iso(iso: str | None) -> datetime | None:
    """A stored or sent ISO 8601 timestamp ("Z" allowed); None when missing or unreadable."""
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None


def local_time(iso: str | None) -> datetime | None:
    """A stored UTC timestamp as this computer's local time (None when missing or unreadable)."""
    when = parse_iso(iso)
    return when.astimezone() if when else None


def human_date(
    when: datetime | date, *, weekday: bool = False, year: bool = True, time: bool = False
) -> str:
    """A date as people read it: "1 March 2025"; "Saturday 1 March 2025" with ``weekday``,
    "1 March" without ``year``, "1 March 2025, 09:05" with ``time`` (a datetime's).

    The day has no leading zero (strftime's %-d is not portable); the hour keeps its own.
    """
    text = f"{when.day} {when:%B %Y}" if year else f"{when.day} {when:%B}"
    if weekday:
        text = f"{when:%A} {text}"
    return f"{text}, {when:%H:%M}" if time and isinstance(when, datetime) else text


def day_label(day: date, today: date) -> str:
    """A day as a list of meetings heads it: "Today", "Yesterday", "Monday 3 March" this year,
    "3 March 2024" before."""
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    if day.year == today.year:
        return human_date(day, weekday=True, year=False)
    return human_date(day)
