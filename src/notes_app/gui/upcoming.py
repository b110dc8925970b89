"""The next few events of the user's calendars in the sidebar ("Coming up").

The calendars are read by ``App.upcoming_events`` on a worker job, never on the GUI thread:
a while after the window shows (start-up does not wait for it) and every few minutes after
(an address is fetched again only when its cached copy is older than a quarter of an hour).
When an address fails, the line under the events says so, and the cached copy is shown.
Clicking an event starts a new meeting titled from it, with its attendees. Without calendars
the section stays hidden.

The events kept here also name what is on now (``event_now``) for the call prompt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from notes_app.calendars.ics import CalendarEvent, event_near
from notes_app.errors import NotesAppError
from notes_app.gui.workers import app_job, start_job

if TYPE_CHECKING:
    from notes_app.app import App

SHOWN = 3  # events listed: the sidebar is mostly for meetings
FIRST_MS = 1500  # the first read, after the window is up
REFRESH_MS = 5 * 60_000


@dataclass(frozen=True)
class Coming:
    events: list[CalendarEvent]  # timed, today and tomorrow, not over yet, by start
    problems: list[str]  # a sentence for each calendar that could not be fetched now


def coming_up(app: App, now: datetime | None = None) -> Coming | None:
    """Today's and tomorrow's timed events not over yet, and what could not be fetched;
    None when the user has no calendars. Runs on a worker thread."""
    if not app.calendars().sources():
        return None
    events, problems = app.upcoming_events(days=1)
    now = now or datetime.now().astimezone()
    return Coming([e for e in events if not e.all_day and e.end > now], problems)


def event_now(events: list[CalendarEvent], now: datetime) -> CalendarEvent | None:
    """The event on now: one starting within 10 minutes of ``now`` (the closest, as a
    recording takes its name), else the latest one started and not over."""
    near = event_near(events, now)
    if near is not None:
        return near
    on = [e for e in events if not e.all_day and e.start <= now < e.end]
    return max(on, key=lambda e: e.start, default=None)


def when_text(event: CalendarEvent, now: datetime) -> str:
    start = event.start.astimezone(now.tzinfo)
    if event.start <= now < event.end:
        return "Now"
    if start.date() == now.date():
        return f"{start:%H:%M}"
    if start.date() == now.date() + timedelta(days=1):
        return f"Tomorrow {start:%H:%M}"
    return f"{start:%a %H:%M}"


def event_tip(event: CalendarEvent) -> str:
    start, end = event.start.astimezone(), event.end.astimezone()
    where = f" · {event.calendar}" if event.calendar else ""
    lines = [event.title, f"{start:%H:%M}–{end:%H:%M}{where}"]
    if event.attendees:
        lines.append("With " + ", ".join(event.attendees))
    lines.append("Click to start a new meeting for it.")
    return "\n".join(lines)


class EventButton(QPushButton):
    """One event: its time and title on one line, cut short to the sidebar's width."""

    def __init__(self, event: CalendarEvent, text: str):
        super().__init__()
        self.calendar_event = event
        self.full_text = text
        self.setObjectName("Flat")
        self.setToolTip(event_tip(event))
        self.setAccessibleName(f"{text}. Start a new meeting for it")
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setText(text)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        room = max(20, event.size().width() - 24)
        elided = self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideRight, room)
        if elided != self.text():
            self.setText(elided)


class UpcomingList(QWidget):
    """The sidebar's "Coming up": a few events, each a button, and a line for problems."""

    event_chosen = Signal(object)  # a CalendarEvent

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.heading = QLabel("COMING UP")
        self.heading.setObjectName("Muted")
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 0.85)
        font.setWeight(font.Weight.DemiBold)
        self.heading.setFont(font)
        self.empty = QLabel("Nothing else on your calendar today or tomorrow.")
        self.empty.setObjectName("Muted")
        self.empty.setWordWrap(True)
        self.error = QLabel("")
        self.error.setObjectName("Warning")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons: list[EventButton] = []
        self.rows = QVBoxLayout()
        self.rows.setContentsMargins(0, 0, 0, 0)
        self.rows.setSpacing(0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.heading)
        layout.addLayout(self.rows)
        layout.addWidget(self.empty)
        layout.addWidget(self.error)
        self.setVisible(False)

    def show_events(self, coming: Coming | None, now: datetime | None = None) -> None:
        """The first few events (None: no calendars, the section hides)."""
        for button in self.buttons:
            self.rows.removeWidget(button)
            button.deleteLater()
        self.buttons = []
        if coming is None:
            self.setVisible(False)
            return
        now = now or datetime.now().astimezone()
        for event in coming.events[:SHOWN]:
            button = EventButton(event, f"{when_text(event, now)}  {event.title}")
            button.clicked.connect(lambda _checked=False, e=event: self.event_chosen.emit(e))
            self.rows.addWidget(button)
            self.buttons.append(button)
        self.empty.setVisible(not coming.events)
        self.show_problem(" ".join(coming.problems))
        self.setVisible(True)

    def show_problem(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        if text:
            self.setVisible(True)

    def event_titles(self) -> list[str]:
        return [b.calendar_event.title for b in self.buttons]


class Upcoming(QObject):
    """The window's calendar section: reads the calendars off the GUI thread now and then,
    shows what is coming up, and starts a meeting for an event that is clicked."""

    def __init__(self, win, first_ms: int | None = None, every_ms: int = REFRESH_MS):
        super().__init__(win)
        self.win = win
        self.events: list[CalendarEvent] = []
        self.fetching = False
        self.again = False
        self.list: UpcomingList = win.sidebar.upcoming
        self.list.event_chosen.connect(self.start_meeting)
        self.timer = QTimer(self)
        self.timer.setInterval(every_ms)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        QTimer.singleShot(FIRST_MS if first_ms is None else first_ms, self, self.refresh)

    def refresh(self) -> None:
        if self.fetching:
            self.again = True  # the calendars changed while they were read: read them again
            return
        self.fetching, self.again = True, False
        app = self.win.app
        start_job(lambda _p: coming_up(app), on_done=self._read, on_fail=self._failed, owner=self)

    def event_now(self, now: datetime | None = None) -> CalendarEvent | None:
        """What is on now, from the events last read (nothing is fetched here)."""
        return event_now(self.events, now or datetime.now().astimezone())

    def _read(self, coming: Coming | None) -> None:
        self.fetching = False
        self.events = coming.events if coming is not None else []
        self.list.show_events(coming)
        if self.again:
            self.refresh()

    def _failed(self, err: NotesAppError) -> None:
        # The list of calendars itself cannot be read: said where the events would be.
        self.fetching = False
        self.list.show_problem(str(err))
        if self.again:
            self.refresh()

    def start_meeting(self, event: CalendarEvent) -> None:
        """A new meeting for the event (``App.meeting_for_event``), opened ready to type."""
        win = self.win
        win.autosaver.flush()
        start_job(
            app_job(win.app, lambda own, _p: own.meeting_for_event(event)),
            on_done=self._created,
            on_fail=win.show_error,
            owner=self,
        )

    def _created(self, meeting_id: int) -> None:
        win = self.win
        win.refresh_meetings(select=meeting_id)
        win.open_meeting(meeting_id)
        win.view.focus_notes()
