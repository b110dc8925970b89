"""The calendar in the window: an ICS served by a real HTTP server on 127.0.0.1, a real store in
a temp folder. "Coming up" in the sidebar (read off the GUI thread, a failing address said in a
line), a meeting started from an event, the call prompt naming the event, and a recording near
an event taking its title and attendees (which the recogniser is then taught)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from test_calendar import Server, make_ics  # noqa: E402
from test_gui_detect import FakeSession, MicUsers  # noqa: E402

from notes_app.audio.detect import MeetingDetector, MicUser  # noqa: E402
from notes_app.calendars import sources  # noqa: E402
from notes_app.calendars.ics import CalendarEvent  # noqa: E402
from notes_app.calendars.sources import Calendars  # noqa: E402
from notes_app.gui.app import qt_app  # noqa: E402
from notes_app.gui.main_window import MainWindow  # noqa: E402
from notes_app.gui.upcoming import event_now  # noqa: E402

TITLE = "Acme pricing with Sarah"  # starts in five minutes in make_ics
PEOPLE = ("Sarah Chen", "tom@acme.example")  # the room is not a person


@pytest.fixture
def served(app):
    """The calendar served at its secret address, added as the user's calendar."""
    body, expected = make_ics(datetime.now(timezone.utc))
    server = Server(body)
    Calendars(app.settings.home).add(server.url())
    yield server, expected
    server.stop()


@pytest.fixture
def fetched_on(monkeypatch) -> list[str]:
    """The thread of each fetch of a calendar address (the real fetch, noted); every read
    fetches again (no quarter-hour copy)."""
    threads: list[str] = []
    real = sources.fetch_url

    def fetch(url: str) -> bytes:
        threads.append(threading.current_thread().name)
        return real(url)

    monkeypatch.setattr(sources, "fetch_url", fetch)
    monkeypatch.setattr(sources, "FRESH", timedelta(0))
    return threads


def make_window(qtbot, app, **options) -> MainWindow:
    qt_app()
    app.settings.enhance.auto_after_stop = False
    app.settings.detect.enabled = options.pop("detect", False)
    win = MainWindow(app, tray=False, **options)
    qtbot.addWidget(win)
    win.show()
    return win


def read_calendars(qtbot, win) -> None:
    win.upcoming.refresh()
    qtbot.waitUntil(lambda: not win.upcoming.fetching, timeout=20_000)


def test_coming_up_lists_the_next_events_and_a_click_starts_a_meeting(
    qtbot, app, served, fetched_on
):
    server, _ = served
    win = make_window(qtbot, app)
    coming = win.sidebar.upcoming
    assert not coming.isVisible()  # nothing read yet: start-up does not wait for it
    hits = server.hits
    read_calendars(qtbot, win)
    assert server.hits > hits and fetched_on
    assert threading.main_thread().name not in fetched_on  # never on the GUI thread
    assert coming.isVisible() and not coming.error.isVisible()
    assert coming.event_titles()[0] == TITLE
    assert "Cancelled" not in " ".join(coming.event_titles())
    button = coming.buttons[0]
    assert button.text().endswith(TITLE) and "Sarah Chen" in button.toolTip()

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.current_id() is not None and win.view.title.text() == TITLE)
    meeting = app.repo.get_meeting(win.current_id())
    assert meeting.title == TITLE and meeting.attendees == PEOPLE
    assert win.view.attendees.text() == ", ".join(PEOPLE)
    assert win.sidebar.current_id() == meeting.id
    assert not win.error_boxes


def test_an_address_that_fails_is_said_in_a_line_and_the_copy_is_shown(
    qtbot, app, served, fetched_on
):
    server, _ = served
    server.stop()  # the address stops answering
    win = make_window(qtbot, app)
    read_calendars(qtbot, win)
    coming = win.sidebar.upcoming
    assert coming.error.isVisible()
    line = coming.error.text()
    assert line.startswith("Work: Could not fetch the calendar at http://127.0.0.1/…")
    assert "Showing the copy fetched" in line
    assert "private-5f1e2d3c4b" not in line  # the secret part of the address is never shown
    assert coming.event_titles()[0] == TITLE  # from the cached copy
    assert not win.error_boxes  # a line in the sidebar, not a dialog


def test_without_calendars_the_section_stays_hidden(qtbot, app):
    win = make_window(qtbot, app)
    read_calendars(qtbot, win)
    assert not win.sidebar.upcoming.isVisible() and win.upcoming.events == []


def test_the_event_on_now_is_the_one_about_to_start_else_the_one_running():
    now = datetime(2025, 3, 3, 10, 0, tzinfo=timezone.utc)

    def event(title: str, start_min: int, minutes: int = 30) -> CalendarEvent:
        start = now + timedelta(minutes=start_min)
        return CalendarEvent(title, start, start + timedelta(minutes=minutes))

    running, soon, later = event("Running", -20, 60), event("Soon", 8), event("Later", 11)
    assert event_now([running, soon, later], now) is soon
    assert event_now([running, later], now) is running
    assert event_now([later, event("Over", -40, 30)], now) is None


def test_the_call_prompt_names_the_event_and_the_recording_takes_its_name(
    qtbot, app, served, fetched_on
):
    source = MicUsers()
    win = make_window(
        qtbot,
        app,
        detect=True,
        session_factory=lambda settings, bridge: FakeSession(settings),
        detector_factory=lambda: MeetingDetector(source, min_hold=0.0, own_pid=-1),
        detect_interval_ms=20,
    )
    read_calendars(qtbot, win)
    source.users = [MicUser("Zoom", "zoom", 4242)]
    qtbot.waitUntil(lambda: win.detecting.prompt is not None)
    prompt = win.detecting.prompt
    assert prompt.text() == f"{TITLE} — take notes?"
    assert prompt.informativeText() == "Zoom is using your microphone."

    with qtbot.waitSignal(win.recording.named, timeout=20_000) as named:
        prompt.yes_button.click()
    assert named.args[0].title == TITLE
    mid = win.recorder.meeting_id
    meeting = app.repo.get_meeting(mid)
    assert meeting.title == TITLE and meeting.attendees == PEOPLE
    assert win.view.title.text() == TITLE and win.view.attendees.text() == ", ".join(PEOPLE)
    assert win.sidebar.index_of(mid).data().startswith(TITLE)
    win.recording.stop()
    qtbot.waitUntil(lambda: not win.recorder.recording and not win.recorder.busy)


def test_a_title_the_user_chose_is_kept_and_the_attendees_are_added(qtbot, app, served, fetched_on):
    win = make_window(qtbot, app, session_factory=lambda settings, bridge: FakeSession(settings))
    win.new_meeting()
    qtbot.waitUntil(lambda: win.current_id() is not None)
    win.view.title.selectAll()
    qtbot.keyClicks(win.view.title, "Budget call")  # typed over "Untitled meeting"
    qtbot.keyClicks(win.view.attendees, "Ann")
    with qtbot.waitSignal(win.recording.named, timeout=20_000):
        win.recording.start()
    meeting = app.repo.get_meeting(win.current_id())
    assert meeting.title == "Budget call"
    assert meeting.attendees == ("Ann", *PEOPLE)
    assert win.view.title.text() == "Budget call"
    assert win.view.attendees.text() == ", ".join(("Ann", *PEOPLE))
    win.recording.stop()
    qtbot.waitUntil(lambda: not win.recorder.recording and not win.recorder.busy)


@pytest.mark.slow
def test_a_recording_near_an_event_teaches_the_recogniser_its_attendees(
    qtbot, app, served, fetched_on, whisper_engine, tmp_path
):
    from file_sessions import file_session
    from speech import say

    speech = {
        "mic": say("Sarah, can we agree the price today?", tmp_path / "me.wav"),
        "call": say("Yes, the price is agreed.", tmp_path / "them.wav"),
    }
    win = make_window(
        qtbot,
        app,
        session_factory=lambda settings, bridge: file_session(
            settings, bridge, whisper_engine, speech
        ),
    )
    with qtbot.waitSignal(win.recording.named, timeout=60_000):
        win.toggle_recording()
    session = win.recorder.session
    assert session is not None
    # What the transcriber reads before each utterance: the meeting as stored now.
    terms = session._vocabulary_terms()
    assert "Sarah Chen" in terms and "tom@acme.example" in terms
    win.recording.stop()
    qtbot.waitUntil(lambda: not win.recorder.recording and not win.recorder.busy, timeout=60_000)
    assert app.repo.get_meeting(session.meeting_id).title == TITLE


def test_calendars_are_added_and_removed_in_settings_and_coming_up_follows(qtbot, app):
    from notes_app.gui.settings_dialog import SettingsDialog

    body, _ = make_ics(datetime.now(timezone.utc))
    server = Server(body)
    try:
        win = make_window(qtbot, app)
        d = SettingsDialog(app.settings, win)
        qtbot.addWidget(d)
        d.show()
        assert d.calendar_list.count() == 0 and not d.calendar_remove.isEnabled()
        # A wrong address is said at once, in the warning colour, and nothing is added.
        d.calendar_input.setText(server.url().replace("/private-", "/nothing-"))
        d.calendar_add.click()
        qtbot.waitUntil(lambda: d.calendar_add.isEnabled(), timeout=20_000)
        assert d.calendar_result.objectName() == "Warning" and d.calendar_list.count() == 0
        d.calendar_input.setText(server.url())
        d.calendar_add.click()
        qtbot.waitUntil(lambda: d.calendar_list.count() == 1, timeout=20_000)
        assert d.calendar_result.text().startswith("Added “")
        assert "private-" not in d.calendar_list.item(0).text()  # the secret path is hidden
        assert [s.source for s in Calendars(app.settings.home).sources()] == [server.url()]
        qtbot.waitUntil(lambda: bool(win.upcoming.list.event_titles()), timeout=20_000)

        d.calendar_list.setCurrentRow(0)
        d.calendar_remove.click()
        qtbot.waitUntil(lambda: d.calendar_list.count() == 0, timeout=20_000)
        assert Calendars(app.settings.home).sources() == []
        assert d.calendar_result.text().startswith("Removed “")
    finally:
        server.stop()
