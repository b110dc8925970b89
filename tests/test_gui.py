"""The desktop window, driven for real: offscreen Qt, real SQLite in the test's data folder."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtGui import QTextCursor  # noqa: E402

from notes_app.domain import Segment  # noqa: E402
from notes_app.gui.app import qt_app  # noqa: E402
from notes_app.gui.main_window import MainWindow  # noqa: E402
from notes_app.gui.meeting_view import ENHANCED, RAW  # noqa: E402
from notes_app.gui.workers import start_job  # noqa: E402

LINES = [
    ("them", "Thanks for joining, let's go through the launch plan."),
    ("me", "Where are we on the beta sign-ups?"),
    ("them", "We have about four hundred sign-ups from the newsletter."),
    ("them", "Marketing wants to move the launch to the twelfth of March."),
    ("me", "That works if QA finishes the regression pass by the fifth."),
    ("them", "Dana will own the regression pass and report on Friday."),
]


def demo_segments() -> list[Segment]:
    return [
        Segment(i, i * 6.0, i * 6 + 5.0, text, who, 0 if who == "me" else 1)
        for i, (who, text) in enumerate(LINES)
    ]


@pytest.fixture
def window(qtbot, app):
    qt_app()
    win = MainWindow(app, autosave_ms=50)
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow)  # shortcuts go to the active window
    return win


def stored_notes(app, meeting_id: int) -> str:
    return app.repo.get_meeting(meeting_id).notes


def test_new_meeting_and_typed_notes_are_autosaved(qtbot, window, app):
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.current_id() is not None)
    mid = window.current_id()
    assert window.sidebar.visible_ids() == [mid]

    window.view.show_page(RAW)
    qtbot.keyClicks(window.view.editor, "- budget approved")
    qtbot.waitUntil(lambda: stored_notes(app, mid) == "- budget approved")

    window.view.title.setFocus()
    window.view.title.selectAll()
    qtbot.keyClicks(window.view.title, "Budget review")
    qtbot.waitUntil(lambda: app.repo.get_meeting(mid).title == "Budget review")


def test_work_runs_off_the_gui_thread_and_reports_on_it(qtbot, window):
    seen = {}

    def work(progress):
        seen["work"] = threading.get_ident()
        progress(0.5)
        return 42

    start_job(
        work,
        on_done=lambda v: seen.setdefault("done", (v, threading.get_ident())),
        on_progress=lambda v: seen.setdefault("p", v),
    )
    qtbot.waitUntil(lambda: "done" in seen, timeout=5000)
    assert seen["done"] == (42, threading.get_ident())  # reported on the GUI thread
    assert seen["work"] != threading.get_ident()
    assert seen["p"] == 0.5


def test_closing_mid_edit_flushes_the_notes(qtbot, app):
    qt_app()
    mid = app.repo.create_meeting("Standup")
    win = MainWindow(app, autosave_ms=60_000)  # the debounce would not fire before close
    qtbot.addWidget(win)
    win.show()
    win.open_meeting(mid)
    qtbot.keyClicks(win.view.editor, "ship on tuesday")
    assert stored_notes(app, mid) == ""
    win.close()
    assert stored_notes(app, mid) == "ship on tuesday"


def test_a_failed_save_shows_one_dialog_and_keeps_the_text(qtbot, window, app):
    mid = app.repo.create_meeting("Doomed")
    window.refresh_meetings()
    window.open_meeting(mid)
    app.repo.delete_meeting(mid)  # deleted elsewhere (the CLI) while the window shows it
    qtbot.keyClicks(window.view.editor, "keep me")
    qtbot.waitUntil(lambda: len(window.error_boxes) == 1)
    assert f"No meeting with id {mid}" in window.error_boxes[0].text()
    assert window.view.editor.toPlainText() == "keep me"
    assert window.autosaver.has_pending  # retried on the next edit or on close


def test_sidebar_groups_by_day_and_searches_everything(qtbot, window, app):
    app.repo.create_meeting("Launch sync", started_at="2024-03-04T09:00:00+00:00", notes="beta")
    app.repo.create_meeting("Hiring loop", started_at="2024-03-05T09:00:00+00:00", duration=1800)
    window.refresh_meetings()
    assert len(window.sidebar.day_labels()) == 2  # two days
    window.sidebar.search.setText("launch")
    assert window.sidebar.searching
    qtbot.waitUntil(lambda: window.sidebar.result_ids() != [])
    assert [app.repo.get_meeting(i).title for i in window.sidebar.result_ids()] == ["Launch sync"]
    window.sidebar.search.clear()
    assert not window.sidebar.searching
    assert len(window.sidebar.visible_ids()) == 2


def enhanced_meeting(qtbot, window, app) -> int:
    mid = app.repo.create_meeting(
        "Launch planning",
        notes="# Launch\n- beta signups\n- launch date moved\n- QA regression",
        segments=demo_segments(),
    )
    window.refresh_meetings()
    window.open_meeting(mid)
    window.view.enhance_button.click()
    qtbot.waitUntil(lambda: app.repo.get_enhanced(mid) is not None, timeout=30_000)
    qtbot.waitUntil(lambda: window.view.enhanced is not None)
    return mid


def colour_of(view, text: str):
    found = view.document().find(text)
    assert not found.isNull(), f"{text!r} not shown"
    fmt = found.charFormat()
    return fmt.foreground().color().name()


def test_enhance_shows_user_and_ai_text_differently(qtbot, window, app):
    mid = enhanced_meeting(qtbot, window, app)
    view = window.view.enhanced_view
    assert window.view.stack.currentIndex() == ENHANCED
    stored = app.repo.get_enhanced(mid)
    user = next(b for b in stored.blocks if b.source == "user" and b.type == "bullet")
    ai = next(b for b in stored.blocks if b.source == "ai")
    assert colour_of(view, user.text) != colour_of(view, ai.text)
    assert view.citation_links()  # AI text cites the transcript


def test_clicking_a_citation_jumps_the_transcript(qtbot, window, app):
    enhanced_meeting(qtbot, window, app)
    view = window.view.enhanced_view
    link = view.citation_links()[-1]
    target = int(link.split(":")[1])
    cursor = find_anchor(view, link)
    point = view.cursorRect(cursor).center() + QPoint(2, 0)
    view.ensureCursorVisible()
    point = view.cursorRect(cursor).center() + QPoint(2, 0)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    transcript = window.view.transcript_panel.view
    qtbot.waitUntil(lambda: transcript.highlighted_index == target)
    assert transcript.textCursor().block().text().endswith(LINES[target][1])
    assert LINES[target][1] in window.view.quote.text()


def find_anchor(view, href: str) -> QTextCursor:
    block = view.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            frag = it.fragment()
            if frag.charFormat().anchorHref() == href:
                cursor = QTextCursor(view.document())
                cursor.setPosition(frag.position() + 1)
                return cursor
            it += 1
        block = block.next()
    raise AssertionError(f"no link {href}")


def test_editing_enhanced_notes_saves_a_new_version(qtbot, window, app):
    mid = enhanced_meeting(qtbot, window, app)
    window.view.edit_button.click()
    editor = window.view.enhanced_editor
    editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "- follow up with Dana")
    window.view.save_edit_button.click()
    qtbot.waitUntil(lambda: len(app.repo.list_enhanced(mid)) == 2)
    latest = app.repo.get_enhanced(mid)
    first = app.repo.get_enhanced(mid, 1)
    assert latest.blocks[-1].text == "follow up with Dana"
    assert latest.blocks[-1].source == "user"
    kept_ai = [b for b in latest.blocks if b.source == "ai"]
    assert kept_ai == [b for b in first.blocks if b.source == "ai"]  # citations kept


def test_settings_survive_a_restart(qtbot, app, notes_home):
    from notes_app.app import App
    from notes_app.gui.settings_dialog import SettingsDialog

    qt_app()
    first = MainWindow(app, tray=False)
    qtbot.addWidget(first)
    first.open_settings()
    dialog = first.settings_dialog
    dialog.base_url.setText("http://127.0.0.1:9/v1")
    dialog.llm_model.setText("tiny-llm")
    dialog.keep_audio.setChecked(False)
    dialog.language.setCurrentText("de")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.result() == SettingsDialog.DialogCode.Accepted)
    assert first.settings.llm.model == "tiny-llm"  # the running window uses them at once
    first.close()

    restarted = App.load(notes_home)
    second = MainWindow(restarted, tray=False)
    qtbot.addWidget(second)
    second.open_settings()
    again = second.settings_dialog
    assert again.base_url.text() == "http://127.0.0.1:9/v1"
    assert again.llm_model.text() == "tiny-llm"
    assert not again.keep_audio.isChecked()
    assert again.language.currentText() == "de"
    second.close()
    restarted.close()


def test_test_connection_reports_an_unreachable_endpoint(qtbot, window):
    window.open_settings()
    dialog = window.settings_dialog
    dialog.base_url.setText("http://127.0.0.1:9/v1")  # nothing listens on the discard port
    dialog.llm_model.setText("m")
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=60_000)
    assert "127.0.0.1:9" in dialog.test_result.text()


def test_a_meeting_left_recording_by_a_crash_is_offered_and_recovered(qtbot, window, app):
    mid = app.repo.create_meeting(
        "Crashed call", status="recording", notes="- keep this", segments=demo_segments()[:2]
    )
    asked = []
    window.ask_recover = lambda titles: asked.append(titles) or True
    window.offer_recovery()
    assert asked == [["Crashed call"]]
    qtbot.waitUntil(lambda: app.repo.get_meeting(mid).status == "done", timeout=30_000)
    qtbot.waitUntil(lambda: window.current_id() == mid)
    assert app.repo.get_meeting(mid).notes == "- keep this"
    assert window.view.transcript_panel.view.segment_count() == 2


def test_help_opens_the_log_folder(window, app, monkeypatch):
    from PySide6.QtGui import QDesktopServices

    from notes_app.logs import log_dir

    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    [help_menu] = [a.menu() for a in window.menuBar().actions() if a.text() == "&Help"]
    [action] = [a for a in help_menu.actions() if a.text().replace("&", "") == "Open log folder"]
    action.trigger()
    folder = log_dir(app.settings.home)
    assert [u.toLocalFile() for u in opened] == [str(folder)]
    assert folder.is_dir()


def test_help_says_how_to_repair_the_database_and_the_banner_button_does_too(window, app):
    [help_menu] = [a.menu() for a in window.menuBar().actions() if a.text() == "&Help"]
    [action] = [a for a in help_menu.actions() if a.text().replace("&", "") == "Repair database…"]
    action.trigger()
    box = window.menus.repair_box
    assert box is not None and box.isVisible()
    assert "notes-app repair" in box.text() and str(app.settings.db_path) in box.text()
    box.close()
    window.menus.repair_box = None
    window.store_health.banner.repair_button.click()  # the banner's button opens the same
    assert window.menus.repair_box is not None and window.menus.repair_box.isVisible()
    window.menus.repair_box.close()
