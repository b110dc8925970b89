"""The window as a notepad people live in: starting, the keyboard, the menu bar, small screens.

Offscreen Qt, the real window, real SQLite in the test's data folder.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QRect, QSize, Qt  # noqa: E402
from PySide6.QtGui import QKeySequence  # noqa: E402
from test_gui import demo_segments  # noqa: E402
from test_gui_layout import inside  # noqa: E402

from notes_app.domain import EnhancedNotes, Segment  # noqa: E402
from notes_app.enhance.offline import enhance_offline  # noqa: E402
from notes_app.gui.app import qt_app  # noqa: E402
from notes_app.gui.ask_panel import aside  # noqa: E402
from notes_app.gui.columns import MIN_WIDTH  # noqa: E402
from notes_app.gui.main_window import MainWindow  # noqa: E402
from notes_app.gui.meeting_view import RAW  # noqa: E402

CTRL = Qt.KeyboardModifier.ControlModifier


def open_window(qtbot, app) -> MainWindow:
    qt_app()
    app.settings.detect.enabled = False
    win = MainWindow(app, autosave_ms=50, tray=False)
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow)  # shortcuts go to the active window
    return win


def enhanced_meeting(app, title: str = "Launch planning", **fields) -> int:
    notes = "# Launch\n- beta signups\n- QA regression"
    mid = app.repo.create_meeting(title, notes=notes, segments=demo_segments(), **fields)
    enhanced = enhance_offline(app.repo.get_transcript(mid), notes, meeting_id=mid)
    app.repo.add_enhanced(EnhancedNotes(mid, enhanced.mode, enhanced.blocks))
    return mid


# --- item 2: starting and new meetings ------------------------------------------------------


def test_an_empty_app_says_no_meetings_yet(qtbot, app):
    win = open_window(qtbot, app)
    assert win.sidebar.empty_hint.isVisible()
    assert win.sidebar.empty_hint.text() == "No meetings yet"
    assert win.pages.currentIndex() == 0  # the first-run page with "New meeting"


def test_launching_opens_the_latest_meeting(qtbot, app):
    app.repo.create_meeting("Older", started_at="2025-03-01T09:00:00+00:00")
    latest = app.repo.create_meeting("Latest", started_at="2025-03-04T09:00:00+00:00")
    win = open_window(qtbot, app)
    assert win.current_id() == latest
    assert win.pages.currentWidget() is win.view
    assert win.sidebar.current_id() == latest
    assert win.sidebar.meeting_list.isVisible() and win.sidebar.empty_hint.isHidden()


def test_ctrl_n_makes_a_meeting_with_the_cursor_in_its_notes(qtbot, app):
    app.repo.create_meeting("Yesterday's sync")
    win = open_window(qtbot, app)
    qtbot.keyClick(win, Qt.Key.Key_N, CTRL)
    qtbot.waitUntil(lambda: win.current_id() is not None and win.view.title.text() != "")
    qtbot.waitUntil(lambda: win.view.title.text() == "Untitled meeting")
    mid = win.current_id()
    assert win.view.stack.currentIndex() == RAW
    assert win.view.editor.hasFocus()
    qtbot.keyClicks(win.focusWidget(), "- first point")
    qtbot.waitUntil(lambda: app.repo.get_meeting(mid).notes == "- first point")


# --- item 5: small screens ------------------------------------------------------------------


def narrow(qtbot, win, width: int = MIN_WIDTH) -> None:
    win.resize(width, 700)
    qtbot.waitUntil(lambda: win.width() == width)
    qtbot.wait(50)


def test_at_640_px_the_window_is_one_column_with_everything_in_reach(qtbot, app):
    mid = enhanced_meeting(app, duration=1800.0, attendees=["Dana", "Sam"])
    win = open_window(qtbot, app)
    assert win.current_id() == mid
    assert win.minimumWidth() <= MIN_WIDTH
    narrow(qtbot, win)
    assert win.width() == MIN_WIDTH  # not held wider by its contents
    assert win.sidebar.isHidden() and win.body.isVisible()
    view = win.view
    for name, w in {
        "enhance": view.enhance_button,
        "share": view.share_button,
        "export": view.export_button,
        "notes": view.stack,
        "transcript header": view.transcript_panel.toggle,
        "record": win.record_bar.button,
    }.items():
        assert inside(win, w), f"{name} is cut off at {MIN_WIDTH} px"
    # The transcript sits under the notes, folded to its header.
    assert view.splitter.orientation() == Qt.Orientation.Vertical
    assert not view.transcript_panel.expanded and view.transcript_panel.view.isHidden()
    assert view.stack.height() > 3 * view.transcript_card.height()

    # A citation opens it at the cited line.
    view.open_citation(3)
    assert view.transcript_panel.expanded and view.transcript_panel.view.isVisible()
    assert view.transcript_panel.view.highlighted_index == 3
    qtbot.wait(20)
    assert view.transcript_card.height() > 150

    # Back to a wide window: two columns, the transcript beside the notes.
    win.resize(1200, 760)
    qtbot.waitUntil(lambda: win.width() == 1200)
    assert win.sidebar.isVisible() and view.splitter.orientation() == Qt.Orientation.Horizontal


def test_a_recording_opens_the_folded_transcript(qtbot, app):
    mid = app.repo.create_meeting("Standup", segments=demo_segments())
    win = open_window(qtbot, app)
    narrow(qtbot, win)
    assert win.current_id() == mid and not win.view.transcript_panel.expanded
    # What the recorder says once capture runs (a stand-in session: no devices, no model).
    win.recorder.session = SimpleNamespace(channels=[0, 1], meeting_id=mid, seconds=0.0)
    win.recorder.session.stop = lambda on_drain=None: app.repo.get_meeting(mid)
    win.recorder.started.emit(mid)
    assert win.view.transcript_panel.expanded
    win.recorder.session = None


def test_ctrl_backslash_swaps_the_list_in_one_column_and_hides_it_in_two(qtbot, app):
    first = app.repo.create_meeting("First", started_at="2025-03-01T09:00:00+00:00")
    app.repo.create_meeting("Second", started_at="2025-03-02T09:00:00+00:00")
    win = open_window(qtbot, app)
    qtbot.keyClick(win, Qt.Key.Key_Backslash, CTRL)
    assert win.sidebar.isHidden() and win.body.isVisible()
    qtbot.keyClick(win, Qt.Key.Key_Backslash, CTRL)
    assert win.sidebar.isVisible()

    narrow(qtbot, win)
    assert win.sidebar.isHidden()
    qtbot.keyClick(win, Qt.Key.Key_Backslash, CTRL)
    assert win.sidebar.isVisible() and win.body.isHidden()
    qtbot.waitUntil(lambda: win.sidebar.width() > MIN_WIDTH - 20)  # the whole column
    # Choosing a meeting in the list brings the meeting back in its place.
    rect = win.sidebar.meeting_list.visualRect(win.sidebar.index_of(first))
    viewport = win.sidebar.meeting_list.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    assert win.current_id() == first
    assert win.body.isVisible() and win.sidebar.isHidden()


# --- item 8: search and ask -----------------------------------------------------------------


def searched(qtbot, win, query: str) -> list:
    win.sidebar.search.setFocus()
    qtbot.keyClicks(win.sidebar.search, query)
    win.searching.run()
    qtbot.waitUntil(lambda: win.sidebar.results.results != [])
    return win.sidebar.results.results


def test_search_hits_are_grouped_by_meeting_with_plain_snippets(qtbot, app):
    one = app.repo.create_meeting(
        "Launch planning",
        notes="# Regression plan\n- **regression** pass by Friday",
        segments=demo_segments(),
    )
    two = app.repo.create_meeting("QA sync", notes="1. regression suite is green")
    win = open_window(qtbot, app)
    results = searched(qtbot, win, "regression")
    order = [r.meeting_id for r in results]
    assert set(order) == {one, two}
    changes = sum(a != b for a, b in zip(order, order[1:], strict=False))
    assert changes == 1  # each meeting's hits stand together, under its heading
    results_widget = win.sidebar.results
    headings = [
        results_widget.list.itemWidget(results_widget.list.item(row)).text()
        for row in range(results_widget.list.count())
        if results_widget.list.item(row).data(Qt.ItemDataRole.UserRole) is None
    ]
    assert len(headings) == 2 and any("Launch planning" in h for h in headings)
    for i, r in enumerate(results):
        card = results_widget.card(i).text()
        if r.kind == "notes" and r.meeting_id == one:
            assert "**" not in card and "# " not in card and "- " not in card
            assert "regression" in card.lower()
        if r.kind == "notes" and r.meeting_id == two:
            assert "1. " in card  # a number is content, not syntax


def test_the_search_field_drives_the_hits_from_the_keyboard(qtbot, app):
    launch = app.repo.create_meeting("Launch planning", segments=demo_segments())
    other = app.repo.create_meeting("Weekly sync", notes="- nothing about it")
    win = open_window(qtbot, app)
    win.open_meeting(other)
    results = searched(qtbot, win, "regression pass")
    field = win.sidebar.search
    assert field.hasFocus()
    qtbot.keyClick(field, Qt.Key.Key_Down)
    assert win.sidebar.results.current() == 0
    if len(results) > 1:
        qtbot.keyClick(field, Qt.Key.Key_Down)
        assert win.sidebar.results.current() == 1
        qtbot.keyClick(field, Qt.Key.Key_Up)
    assert win.sidebar.results.current() == 0
    assert field.hasFocus()  # the keys moved the hits, not the focus
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert win.current_id() == launch
    if results[0].kind == "transcript":
        assert win.view.transcript_panel.view.highlighted_index == results[0].segment
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_Escape)
    assert field.text() == "" and not win.sidebar.searching
    qtbot.keyClick(field, Qt.Key.Key_Escape)
    assert win.view.editor.hasFocus()


def test_a_chip_lands_on_the_time_it_shows_and_ask_leaves_the_notes_uncovered(qtbot, app):
    segments = [
        Segment(0, 0.0, 9.0, "Thanks for joining everyone.", "them", 1),
        Segment(1, 37.0, 42.0, "Where are we on the regression pass?", "me", 0),
        Segment(2, 43.0, 49.0, "Dana owns the regression pass and reports Friday.", "them", 1),
        Segment(3, 50.0, 55.0, "Good, next the pricing page.", "me", 0),
    ]
    mid = app.repo.create_meeting("Launch planning", segments=segments)
    win = open_window(qtbot, app)
    win.resize(MIN_WIDTH, 700)  # a window beside a call: no room for Ask beside it
    win.searching.open_ask()
    panel = win.ask_panel
    panel.question.setText("who owns the regression pass?")
    panel.ask()
    qtbot.waitUntil(lambda: panel.chip_links() != [], timeout=10_000)
    win.open_meeting(app.repo.create_meeting("Elsewhere"))
    cited = panel._chip_base[0][0]
    chip_at = re.search(r"\b\d\d:\d\d\b", panel.answers.toPlainText()).group(0)
    panel.open_link(panel.chip_links()[0])
    assert win.current_id() == mid
    landed = win.view.transcript_panel.view.highlighted_index
    assert landed == cited.segment
    start = {s.index: s.start for s in segments}[landed]
    assert cited.start == start
    assert chip_at == f"{int(start) // 60:02d}:{int(start) % 60:02d}"  # the chip says 00:43
    assert win.view.quote.text().endswith(chip_at)  # and the quote is from 00:43
    # The panel does not stay over the notes it just opened.
    frame = win.frameGeometry()
    assert panel.isHidden() or not panel.frameGeometry().intersects(frame)
    if panel.isHidden():
        assert "Ask (Ctrl+J)" in win.view.notice.text()
        win.activateWindow()
        qtbot.waitUntil(win.isActiveWindow)
        qtbot.keyClick(win, Qt.Key.Key_J, CTRL)
        assert panel.isVisible() and panel.chip_links() != []  # the answers are kept


def test_ask_stands_beside_the_window_where_the_screen_has_room():
    screen = QRect(0, 0, 1920, 1080)
    beside = aside(QRect(0, 0, 1100, 800), screen, QSize(620, 560))
    assert beside is not None and beside.left() > 1100 and beside.right() <= 1919
    left = aside(QRect(800, 0, 1100, 800), screen, QSize(620, 560))
    assert left is not None and left.right() < 800 and left.left() >= 0
    assert aside(QRect(0, 0, 1900, 1000), screen, QSize(620, 560)) is None


# --- item 9: the menu bar -------------------------------------------------------------------


def test_the_menu_bar_lists_every_action_with_its_shortcut(qtbot, app):
    enhanced_meeting(app)
    win = open_window(qtbot, app)
    titles = [a.text().replace("&", "") for a in win.menuBar().actions()]
    assert titles == ["File", "Edit", "View", "Meeting", "Help"]
    actions = win.menus.actions
    expected = {
        "new": "Ctrl+N",
        "search": "Ctrl+F",
        "enhance": "Ctrl+E",
        "settings": "Ctrl+,",
        "record": "Ctrl+R",
        "sidebar": "Ctrl+\\",
        "ask": "Ctrl+J",
        "shortcuts": "Ctrl+/",
    }
    for key, keys in expected.items():
        assert actions[key].shortcut() == QKeySequence(keys), key
    # Help → Keyboard shortcuts lists every shortcut in the menus, and the keys of the notes.
    actions["shortcuts"].trigger()
    text = win.menus.shortcuts_dialog.text()
    for action in actions.values():
        if not action.shortcut().isEmpty():
            shown = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            assert shown in text, action.text()
            assert action.text().replace("&", "").rstrip("…") in text
    assert "Continue a list" in text and "Move through the hits" in text
    win.menus.shortcuts_dialog.close()


def test_menu_items_say_what_applies_and_their_shortcuts_work(qtbot, app):
    mid = app.repo.create_meeting("Raw only", notes="- a note")
    win = open_window(qtbot, app)
    assert win.current_id() == mid
    meeting_menu = win.menus.menus["Meeting"]
    meeting_menu.aboutToShow.emit()
    actions = win.menus.actions
    assert not actions["share"].isEnabled()  # nothing enhanced to share yet
    assert actions["record"].text().replace("&", "") == "Start recording"
    meeting_menu.aboutToHide.emit()
    assert actions["share"].isEnabled()  # the shortcut reaches the window, which says why
    qtbot.keyClick(win, Qt.Key.Key_S, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert "Enhance the notes first" in win.view.notice.text()
    qtbot.keyClick(win, Qt.Key.Key_F, CTRL)
    assert win.sidebar.search.hasFocus()
    qtbot.keyClick(win, Qt.Key.Key_J, CTRL)
    assert win.ask_panel is not None and win.ask_panel.isVisible()
    win.ask_panel.close()


# --- item 7: the talk share -----------------------------------------------------------------


def test_talk_share_shows_only_where_your_side_was_recorded(qtbot, app):
    imported = app.repo.create_meeting(
        "Imported call",
        segments=[
            Segment(0, 0.0, 5.0, "Welcome to the review.", "Dana"),
            Segment(1, 5.0, 9.0, "Thanks, glad to be here.", "Sam"),
        ],
    )
    recorded = app.repo.create_meeting("Recorded call", segments=demo_segments())
    win = open_window(qtbot, app)
    win.open_meeting(recorded)
    qtbot.waitUntil(lambda: win.view.talk.isVisible())
    assert win.view.talk.label.text().startswith("You ")
    win.open_meeting(imported)
    qtbot.wait(100)  # a count would arrive by now
    assert win.view.talk.isHidden()
