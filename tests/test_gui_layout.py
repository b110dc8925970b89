"""The window fits a 1024 px wide screen: every control shows, nothing is cut off."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint  # noqa: E402
from test_gui import demo_segments  # noqa: E402

from notes_app.domain import EnhancedNotes  # noqa: E402
from notes_app.enhance.offline import enhance_offline  # noqa: E402
from notes_app.gui.app import qt_app  # noqa: E402
from notes_app.gui.main_window import MainWindow  # noqa: E402
from notes_app.gui.meeting_view import ENHANCED  # noqa: E402
from notes_app.gui.record_bar import THEM_FLAT_AFTER  # noqa: E402

NARROW = 1024


@pytest.fixture
def window(qtbot, app):
    qt_app()
    app.settings.detect.enabled = False
    win = MainWindow(app, tray=False)
    qtbot.addWidget(win)
    mid = app.repo.create_meeting(
        "Launch planning with the marketing and sales teams",
        notes="# Launch\n- beta signups\n- launch date moved\n- QA regression",
        attendees=["Dana", "Sam", "Priya"],
        segments=demo_segments(),
        duration=1800.0,
    )
    transcript = app.repo.get_transcript(mid)
    enhanced = enhance_offline(transcript, app.repo.get_meeting(mid).notes, meeting_id=mid)
    app.repo.add_enhanced(EnhancedNotes(mid, enhanced.mode, enhanced.blocks))
    win.show()
    win.refresh_meetings()
    win.open_meeting(mid)
    win.view.show_page(ENHANCED)  # the page with the most toolbar buttons
    qtbot.waitUntil(lambda: win.view.enhanced is not None)
    return win


def inside(win, widget) -> bool:
    """Whether the widget is shown in full inside the window."""
    top_left = widget.mapTo(win, QPoint(0, 0))
    return (
        widget.isVisible()
        and top_left.x() >= 0
        and top_left.y() >= 0
        and top_left.x() + widget.width() <= win.width()
        and top_left.y() + widget.height() <= win.height()
        and widget.width() >= widget.minimumSizeHint().width()
    )


def controls(win):
    view = win.view
    return {
        "enhance": view.enhance_button,
        "template": view.template,
        "edit": view.edit_button,
        "share": view.share_button,
        "export": view.export_button,
        "transcript": view.transcript_panel,
        "notes": view.stack,
        "record": win.record_bar.button,
    }


def test_the_window_fits_a_1024_px_screen_with_everything_visible(qtbot, window):
    assert window.minimumSizeHint().width() <= NARROW
    window.resize(NARROW, 700)
    qtbot.waitUntil(lambda: window.width() == NARROW)
    qtbot.wait(50)
    cut = [name for name, w in controls(window).items() if not inside(window, w)]
    assert not cut, f"cut off or hidden at {NARROW} px: {cut}"
    assert window.view.transcript_panel.view.width() >= 200  # a readable transcript column


def test_while_recording_with_a_warning_it_still_fits(qtbot, window):
    bar = window.record_bar
    bar.set_recording(True)
    bar.show_elapsed(THEM_FLAT_AFTER + 5)
    bar.show_backlog(12)
    assert bar.warning.isVisible()
    assert window.minimumSizeHint().width() <= NARROW
    window.resize(NARROW, 700)
    qtbot.waitUntil(lambda: window.width() == NARROW)
    qtbot.wait(50)
    for w in (bar.button, bar.warning, bar.behind, window.view.enhance_button):
        assert inside(window, w), w.objectName() or w.text()


def test_a_wide_window_keeps_the_toolbar_on_one_line(qtbot, window):
    window.resize(1400, 900)
    qtbot.waitUntil(lambda: window.width() == 1400)
    qtbot.wait(50)
    toolbar = window.view.toolbar
    assert not toolbar.wrapped
    assert window.view.enhance_button.mapTo(window, QPoint(0, 0)).y() == (
        window.view.raw_button.mapTo(window, QPoint(0, 0)).y()
    )


def test_the_collapsed_transcript_gives_its_room_to_the_notes(qtbot, window):
    window.resize(NARROW, 700)
    qtbot.waitUntil(lambda: window.width() == NARROW)
    qtbot.wait(50)
    view = window.view
    notes_before = view.splitter.sizes()[0]
    view.transcript_panel.set_expanded(False)
    qtbot.wait(20)
    assert view.splitter.sizes()[1] < 200
    assert view.splitter.sizes()[0] > notes_before
    view.transcript_panel.set_expanded(True)
    qtbot.wait(20)
    assert view.splitter.sizes()[1] >= 200
