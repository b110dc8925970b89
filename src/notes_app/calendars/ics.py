"""A calendar's text (iCalendar, RFC 5545) as events between two moments.

``icalendar`` reads the text, ``recurring-ical-events`` expands recurrences (RRULE, RDATE,
EXDATE, moved instances) in their own time zones. Cancelled events and cancelled instances are
left out; so are rooms and resources among the attendees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from notes_app.errors import NotesAppError

# A recording started this close to an event's start takes its title and attendees.
NEAR = timedelta(minutes=10)
_NOT_PEOPLE = {"ROOM", "RESOURCE"}


class CalendarError(NotesAppError):
    """A calendar cannot be fetched or read; the message says which and what to do."""


@dataclass(frozen=True)
class CalendarEvent:
    title: str
    start: datetime  # aware; an all-day event starts at local midnight
    end: datetime
    all_day: bool = False
    attendees: tuple[str, ...] = ()
    location: str = ""
    calendar: str = ""  # the calendar's name
    uid: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "all_day": self.all_day,
            "attendees": list(self.attendees),
            "location": self.location,
            "calendar": self.calendar,
        }


def parse_calendar(data: bytes, where: str) -> Any:
    """The calendar in ``data``; a CalendarError naming ``where`` when it is not one."""
    import icalendar

    head = data.lstrip()[:200].lower()
    if not head.startswith(b"begin:vcalendar"):
        kind = "a web page" if b"<html" in head or b"<!doctype" in head else "something else"
        raise CalendarError(
            f"{where} is not a calendar (it holds {kind}). Use the calendar's address in iCal "
            "format (.ics): Google calls it the “secret address in iCal format”, Outlook the "
            "ICS link of a published calendar."
        )
    try:
        return icalendar.Calendar.from_ical(data)
    except ValueError as e:
        raise CalendarError(f"{where} could not be read as a calendar: {e}.") from None


def calendar_name(calendar: Any, fallback: str) -> str:
    return str(calendar.get("X-WR-CALNAME") or fallback)


def events_between(
    calendar: Any, start: datetime, end: datetime, *, name: str = ""
) -> list[CalendarEvent]:
    """The events (each recurrence its own) overlapping ``start``–``end``, by start time."""
    import recurring_ical_events

    try:
        found = recurring_ical_events.of(calendar, skip_bad_series=True).between(start, end)
    except (ValueError, TypeError, KeyError) as e:
        raise CalendarError(
            f"The calendar “{name}” has an event that cannot be read ({e}); it was left as it "
            "is. Check the calendar in the program it comes from."
        ) from None
    events = [_event(component, name) for component in found if _kept(component)]
    return sorted((e for e in events if e is not None), key=lambda e: (e.start, e.title))


def event_near(events: list[CalendarEvent], when: datetime) -> CalendarEvent | None:
    """The timed event starting closest to ``when``, if one starts within NEAR of it."""
    near = [e for e in events if not e.all_day and abs(e.start - when) <= NEAR]
    return min(near, key=lambda e: (abs(e.start - when), e.start), default=None)


def _kept(component: Any) -> bool:
    return str(component.get("STATUS", "")).upper() != "CANCELLED"


def _event(component: Any, calendar: str) -> CalendarEvent | None:
    start_prop = component.get("DTSTART")
    if start_prop is None:
        return None
    start, all_day = _moment(start_prop.dt)
    end_prop = component.get("DTEND")
    if end_prop is not None:
        end, _ = _moment(end_prop.dt)
    elif component.get("DURATION") is not None:
        end = start + component.get("DURATION").dt
    else:
        end = start + (timedelta(days=1) if all_day else timedelta(0))
    return CalendarEvent(
        title=str(component.get("SUMMARY") or "Untitled event").strip(),
        start=start,
        end=end,
        all_day=all_day,
        attendees=_attendees(component.get("ATTENDEE")),
        location=str(component.get("LOCATION") or "").strip(),
        calendar=calendar,
        uid=str(component.get("UID") or ""),
    )


def _moment(value: date | datetime) -> tuple[datetime, bool]:
    """An aware moment; a floating time is this computer's, a date is its local midnight."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.astimezone()), False
    return datetime.combine(value, time()).astimezone(), True


def _attendees(value: Any) -> tuple[str, ...]:
    """The people invited, by name (the address when no name is given); no rooms."""
    if value is None:
        return ()
    names: list[str] = []
    for person in value if isinstance(value, list) else [value]:
        params = getattr(person, "params", {})
        if str(params.get("CUTYPE", "")).upper() in _NOT_PEOPLE:
            continue
        if str(params.get("ROLE", "")).upper() == "NON-PARTICIPANT":
            continue
        name = str(params.get("CN") or "").strip().strip('"')
        if not name:
            name = str(person).removeprefix("mailto:").removeprefix("MAILTO:")
        if name and name not in names:
            names.append(name)
    return tuple(names)
