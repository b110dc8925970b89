"""The window on a database that cannot be written: a banner says why, nothing typed is lost."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QTextCursor  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from notes_app.app import App  # noqa: E402
from notes_app.gui.app import qt_app  # noqa: E402
from notes_app.gui.main_window import MainWindow  # noqa: E402
from notes_app.store.damage import marker  # noqa: E402
from notes_app.store.repo import Repo  # noqa: E402


def _window(qtbot, app: App, **kw) -> MainWindow:
    qt_app()
    win = MainWindow(app, autosave_ms=30, tray=False, **kw)
    qtbot.addWidget(win)
    win.show()
    return win


def _stored(notes_home, mid: int) -> str:
    repo = Repo.open(notes_home / "notes.db")
    try:
        return repo.get_meeting(mid).notes
    finally:
        repo.close()


@pytest.fixture
def damaged(notes_home):
    """A database with one meeting, then marked damaged (as the store marks it on finding
    damage): every connection the window opens is read-only."""
    app = App.load(notes_home)
    mid = app.repo.create_meeting("Pricing call")
    app.repo.set_notes(mid, "- agenda")
    app.close()
    marker(notes_home / "notes.db").write_text("page 3 unreadable", encoding="utf-8")
    app = App.load(notes_home)
    yield app, mid
    app.close()


def test_a_read_only_database_shows_a_banner_and_typed_notes_wait_in_the_editor(
    qtbot, notes_home, damaged
):
    app, mid = damaged
    win = _window(qtbot, app, store_retry_ms=100)
    banner = win.store_health.banner
    assert banner.isVisible()
    assert "damaged" in banner.label.text() and "notes-app repair" in banner.label.text()
    assert banner.repair_button.isVisible()

    win.open_meeting(mid)
    win.view.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClick(win.view.editor, Qt.Key.Key_Return)  # the list continues: "- "
    qtbot.keyClicks(win.view.editor, "Acme wants 4.2M by Q3")
    typed = "- agenda\n- Acme wants 4.2M by Q3"
    qtbot.waitUntil(lambda: "stay in this window" in banner.label.text(), timeout=5000)
    qtbot.wait(400)  # several retries refused meanwhile
    assert win.error_boxes == []  # said once, in the banner, not a dialog per pause
    assert win.view.editor.toPlainText() == typed
    qtbot.waitUntil(lambda: win.autosaver.has_pending)  # refused, kept for the next try
    assert banner.save_button.isVisible()
    assert _stored(notes_home, mid) == "- agenda"

    # Writing works again (here: the file was repaired elsewhere): the text goes in by itself.
    marker(notes_home / "notes.db").unlink()
    qtbot.waitUntil(lambda: _stored(notes_home, mid) == typed, timeout=5000)
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=5000)
    assert not win.autosaver.has_pending


def test_unsaved_notes_can_be_saved_to_a_file_and_closing_offers_it(
    qtbot, notes_home, damaged, tmp_path, monkeypatch
):
    app, mid = damaged
    win = _window(qtbot, app)
    win.open_meeting(mid)
    win.view.editor.selectAll()
    qtbot.keyClicks(win.view.editor, "decision: ship Tuesday")
    qtbot.waitUntil(lambda: win.store_health.banner.save_button.isVisible(), timeout=5000)

    out = tmp_path / "kept.md"
    monkeypatch.setattr(win.store_health, "choose_file", lambda: out)
    asked = []

    def answer():
        asked.append(True)
        return QMessageBox.StandardButton.Save

    monkeypatch.setattr(win.store_health, "ask_close", answer)
    win.close()
    assert asked == [True]
    assert out.read_text(encoding="utf-8") == "# Pricing call\n\ndecision: ship Tuesday\n"
    assert _stored(notes_home, mid) == "- agenda"  # the damaged file was never written


def test_cancelling_the_close_keeps_the_window_and_the_notes(qtbot, damaged, monkeypatch):
    app, mid = damaged
    win = _window(qtbot, app)
    win.open_meeting(mid)
    win.view.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(win.view.editor, " more")
    qtbot.waitUntil(lambda: win.store_health.banner.save_button.isVisible(), timeout=5000)
    monkeypatch.setattr(win.store_health, "ask_close", lambda: QMessageBox.StandardButton.Cancel)
    assert not win.close()
    assert win.isVisible() and win.view.editor.toPlainText() == "- agenda more"
    monkeypatch.setattr(win.store_health, "ask_close", lambda: QMessageBox.StandardButton.Discard)
    win.close()


def test_a_sound_database_shows_no_banner(qtbot, app):
    win = _window(qtbot, app)
    assert not win.store_health.banner.isVisible()
