"""Meeting figures in the window: a meeting's talk share in its header, and the overview page."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

pytest.importorskip("PySide6")

from notes_app.domain import Segment  # noqa: E402
from notes_app.gui import meeting_view, overview  # noqa: E402
from notes_app.gui.app import qt_app  # noqa: E402
from notes_app.gui.main_window import MainWindow  # noqa: E402
from notes_app.gui.overview import EMPTY, FIGURES, LOADING  # noqa: E402


@pytest.fixture
def window(qtbot, app):
    qt_app()
    app.settings.detect.enabled = False
    win = MainWindow(app, tray=False)
    qtbot.addWidget(win)
    win.show()
    return win


def said(seconds_by_speaker: list[tuple[str, float]]) -> list[Segment]:
    """Back-to-back segments lasting the given seconds, spoken by the given speakers."""
    out, t = [], 0.0
    for i, (who, seconds) in enumerate(seconds_by_speaker):
        out.append(Segment(i, t, t + seconds, f"line {i}", who, 0 if who == "me" else 1))
        t += seconds
    return out


def test_a_meetings_header_shows_who_talked(qtbot, window, app):
    mid = app.repo.create_meeting(
        "Planning", segments=said([("me", 20), ("them", 40), ("me", 15), ("Dana", 25)])
    )
    window.refresh_meetings()
    window.open_meeting(mid)
    talk = window.view.talk
    qtbot.waitUntil(talk.isVisible)
    assert talk.label.text() == "You 35%  ·  Them 65%"  # 35 s of 100, a named speaker is them
    assert talk.bar.me == 35
    assert "00:35" in talk.toolTip() and "01:05" in talk.toolTip()


def test_a_meeting_without_transcript_hides_the_talk_share(qtbot, window, app):
    talked = app.repo.create_meeting("Talked", segments=said([("me", 10), ("them", 30)]))
    silent = app.repo.create_meeting("Only notes", notes="- agenda")
    window.refresh_meetings()
    window.open_meeting(talked)
    qtbot.waitUntil(window.view.talk.isVisible)
    window.open_meeting(silent)  # the last meeting's share must not stay on screen
    assert not window.view.talk.isVisible()
    qtbot.wait(100)  # a late answer for the other meeting must not bring it back
    assert not window.view.talk.isVisible()


def test_the_talk_share_follows_a_transcript_that_lands(qtbot, window, app):
    mid = app.repo.create_meeting("Recorded later")
    window.refresh_meetings()
    window.open_meeting(mid)
    assert not window.view.talk.isVisible()
    # Live segments arrive one by one while recording; the share follows shortly after.
    window.view._talk_timer.setInterval(20)
    window.view.add_segment(said([("me", 30)])[0])
    qtbot.waitUntil(lambda: window.view.talk.label.text() == "You 100%  ·  Them 0%")
    # Recording stops: the stored transcript replaces the live one.
    app.repo.add_segments(mid, said([("me", 30), ("them", 90)]))
    window.reload_meeting(mid)
    qtbot.waitUntil(lambda: window.view.talk.label.text() == "You 25%  ·  Them 75%")


def test_the_figures_are_counted_off_the_gui_thread(qtbot, window, app, monkeypatch):
    threads: dict[str, int] = {}

    def spy(name, fn):
        def wrapped(*args, **kwargs):
            threads[name] = threading.get_ident()
            return fn(*args, **kwargs)

        return wrapped

    monkeypatch.setattr(meeting_view, "talk_share", spy("talk", meeting_view.talk_share))
    monkeypatch.setattr(overview, "compute_stats", spy("stats", overview.compute_stats))
    mid = app.repo.create_meeting("Sync", segments=said([("me", 5), ("them", 5)]))
    window.refresh_meetings()
    window.open_meeting(mid)
    qtbot.waitUntil(window.view.talk.isVisible)
    window.open_overview()
    qtbot.waitUntil(lambda: window.overview.stack.currentIndex() == FIGURES)
    gui = threading.get_ident()
    assert set(threads) == {"talk", "stats"}
    assert threads["talk"] != gui and threads["stats"] != gui


def test_the_overview_shows_a_hand_made_store(qtbot, window, app):
    # Two meetings a week ago (1 h and 30 min), one today; Dana is in two of them.
    week_ago = datetime.now(timezone.utc).replace(hour=12, minute=0) - timedelta(days=7)
    app.repo.create_meeting(
        "Budget",
        started_at=week_ago.isoformat(),
        duration=3600,
        attendees=["Dana", "Lee"],
        segments=said([("me", 30), ("them", 90)]),
        notes="budget forecast",
    )
    app.repo.create_meeting(
        "Hiring",
        started_at=(week_ago + timedelta(hours=3)).isoformat(),
        duration=1800,
        attendees=["Dana"],
    )
    app.repo.create_meeting(
        "Standup", started_at=datetime.now(timezone.utc).isoformat(), duration=900
    )
    window.refresh_meetings()
    window.sidebar.overview_button.click()
    page = window.overview
    assert window.pages.currentWidget() is page
    assert page.stack.currentIndex() == LOADING  # until the reader thread answers
    qtbot.waitUntil(lambda: page.stack.currentIndex() == FIGURES)

    assert page.summary.text() == "3 meetings  ·  1.8 h in meetings"
    # One way to say time on the whole page: minutes under an hour, hours with "h" above.
    assert page.weeks_note.text() == f"last {overview.WEEKS_SHOWN} weeks: 1.8 h"
    assert page.talk_note.text().endswith("· 2 min of speech")
    assert [overview.hours_text(h) for h in (0.25, 1.5, 2.0)] == ["15 min", "1.5 h", "2 h"]
    weeks = dict(page.weeks.bars)
    assert len(page.weeks.bars) == overview.WEEKS_SHOWN
    monday = week_ago.date() - timedelta(days=week_ago.weekday())
    assert weeks[f"{monday.day} {monday:%b}"] == 1.5
    assert weeks["This week"] == 0.25
    weekdays = dict(page.weekdays.bars)
    assert weekdays[week_ago.strftime("%a")] == 3  # a week apart: the same weekday
    assert page.people.rows[0] == ("Dana", 2)
    assert ("budget", 1) in page.terms.rows
    assert "25%" in page.me_label.text() and "75%" in page.them_label.text()
    assert page.talk_bar.me == 25
    assert window.sidebar.current_id() is None  # no meeting looks open behind the overview


def test_the_overview_of_an_empty_store_says_how_to_start(qtbot, window):
    window.open_overview()
    qtbot.waitUntil(lambda: window.overview.stack.currentIndex() == EMPTY)
    assert window.overview.empty_label.text() == "No meetings yet — record or import one"
