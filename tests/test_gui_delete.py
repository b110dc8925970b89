"""Deleting a meeting from the window: real SQLite, a real share server on 127.0.0.1."""

from __future__ import annotations

import threading

import httpx
import pytest

pytest.importorskip("PySide6")

import test_gui  # noqa: E402
import test_share_helpers  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402
from test_share_helpers import BLOCKS, SEGMENTS  # noqa: E402

from notes_app import deletion  # noqa: E402
from notes_app.domain import EnhancedNotes  # noqa: E402
from notes_app.errors import NotesAppError  # noqa: E402
from notes_app.gui.app import qt_app  # noqa: E402
from notes_app.gui.deleting import RECORDING_TIP  # noqa: E402
from notes_app.gui.main_window import MainWindow  # noqa: E402
from notes_app.share.desktop import Sharing  # noqa: E402
from notes_app.share.model import ShareOptions  # noqa: E402

window = test_gui.window  # the fixture: the main window on the test's data folder
share_server = test_share_helpers.share_server  # the fixture: uvicorn on 127.0.0.1


class Answer:
    """Our own seam: the confirmation is answered without a person; what it said is kept."""

    def __init__(self, monkeypatch, button):
        self.asked: list[tuple[str, str]] = []

        def exec_(box):
            self.asked.append((box.text(), box.informativeText()))
            return button

        monkeypatch.setattr(QMessageBox, "exec", exec_)


@pytest.fixture
def yes(monkeypatch):
    return Answer(monkeypatch, QMessageBox.StandardButton.Yes)


def three_meetings(app, window) -> list[int]:
    ids = [app.repo.create_meeting(t, notes=f"- {t}") for t in ("First", "Second", "Third")]
    window.refresh_meetings()
    return ids


def exists(app, meeting_id: int) -> bool:
    try:
        app.repo.get_meeting(meeting_id)
    except NotesAppError:
        return False
    return True


def shared_meeting(app, window, server) -> tuple[int, str]:
    app.settings.share.server_url = server.url
    app.settings.share.token = server.token
    mid = app.repo.create_meeting("Launch planning", notes="march 3?", segments=SEGMENTS)
    app.repo.add_enhanced(EnhancedNotes(mid, "offline", BLOCKS))
    url = Sharing(app.settings, app.repo).publish(mid, ShareOptions()).url
    window.refresh_meetings()
    window.open_meeting(mid)
    return mid, url


def test_delete_from_the_view_removes_it_and_shows_the_next(qtbot, window, app, yes, monkeypatch):
    three_meetings(app, window)
    order = window.sidebar.visible_ids()  # newest first
    victim = order[1]
    victim_title = app.repo.get_meeting(victim).title
    window.open_meeting(victim)
    window.view.editor.setPlainText("typed just before deleting")  # a pending autosave
    threads = []
    real = deletion.delete_meeting

    def spy(*args, **kwargs):
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(deletion, "delete_meeting", spy)
    window.view.more_menu_opening.emit()  # as when the "⋯" menu opens
    assert window.view.delete_action.isEnabled()
    window.view.delete_action.trigger()
    qtbot.waitUntil(lambda: not exists(app, victim))
    qtbot.waitUntil(lambda: window.deleting.meeting_id is None)
    title = app.repo.get_meeting(order[2]).title
    assert yes.asked[0][0] == f"Delete “{victim_title}”?"
    assert "notes, transcript, enhanced notes and audio recording" in yes.asked[0][1]
    assert "share link" not in yes.asked[0][1]  # none to revoke
    assert window.sidebar.visible_ids() == [order[0], order[2]]
    assert window.current_id() == order[2] and window.view.title.text() == title
    assert window.pages.currentWidget() is window.view and window.view.isEnabled()
    assert threads and threads[0] != threading.get_ident()  # the deletion ran off the GUI thread
    qtbot.wait(100)  # the autosave timer's time is up: nothing writes to the deleted row
    assert not window.error_boxes and not window.autosaver.has_pending


def test_deleting_the_last_meeting_shows_the_empty_page(qtbot, window, app, yes):
    mid = app.repo.create_meeting("Only one")
    window.refresh_meetings()
    window.open_meeting(mid)
    window.request_delete(mid)
    qtbot.waitUntil(lambda: window.sidebar.visible_ids() == [])
    assert window.pages.currentIndex() == 0 and window.current_id() is None
    assert app.repo.list_meetings() == [] and not window.error_boxes


def test_cancelling_keeps_the_meeting(qtbot, window, app, monkeypatch):
    ids = three_meetings(app, window)
    window.open_meeting(ids[0])
    cancel = Answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    menu = window.sidebar.context_menu(ids[0])
    [action] = [a for a in menu.actions() if a.text() == "Delete meeting…"]
    assert action.isEnabled()
    action.trigger()
    assert len(cancel.asked) == 1
    qtbot.wait(100)
    assert exists(app, ids[0]) and window.deleting.meeting_id is None
    assert sorted(window.sidebar.visible_ids()) == sorted(ids)
    assert window.current_id() == ids[0]


def test_the_delete_key_in_the_list_asks_and_deletes(qtbot, window, app, yes):
    ids = three_meetings(app, window)
    window.open_meeting(ids[0])
    window.sidebar.meeting_list.setFocus()
    qtbot.waitUntil(window.sidebar.meeting_list.hasFocus)
    qtbot.keyClick(window.sidebar.meeting_list, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: not exists(app, ids[0]))
    assert yes.asked and ids[0] not in window.sidebar.visible_ids()


def test_the_delete_key_in_the_notes_deletes_text_not_the_meeting(qtbot, window, app, yes):
    ids = three_meetings(app, window)
    window.open_meeting(ids[0])
    window.view.editor.setFocus()
    qtbot.waitUntil(window.view.editor.hasFocus)
    qtbot.keyClick(window.view.editor, Qt.Key.Key_Delete)
    qtbot.wait(100)
    assert not yes.asked and exists(app, ids[0])


def test_a_shared_meeting_is_deleted_and_its_link_stops_working(
    qtbot, window, app, yes, share_server
):
    mid, url = shared_meeting(app, window, share_server)
    assert httpx.get(url).status_code == 200
    window.view.delete_action.trigger()
    # Gone from the store first (on the worker), then from the window (when the job reports).
    qtbot.waitUntil(lambda: not exists(app, mid), timeout=20_000)
    qtbot.waitUntil(lambda: "share link revoked" in window.view.notice.text(), timeout=20_000)
    assert "Its 1 share link will be revoked." in yes.asked[0][1]
    assert httpx.get(url).status_code == 404
    assert window.sidebar.visible_ids() == [] and not window.error_boxes
    assert "1 share link revoked" in window.view.notice.text()


def test_an_unreachable_share_server_keeps_the_meeting_with_one_dialog(
    qtbot, window, app, yes, share_server
):
    mid, url = shared_meeting(app, window, share_server)
    # The server the link lives on has gone away (nothing listens on port 9).
    app.repo.db.execute("UPDATE share_links SET server_url = 'http://127.0.0.1:9'")
    app.repo.db.conn.commit()
    window.view.delete_action.trigger()
    qtbot.waitUntil(lambda: len(window.error_boxes) == 1, timeout=20_000)
    assert "was not deleted" in window.error_boxes[0].text()
    assert app.repo.get_meeting(mid).title == "Launch planning"
    assert httpx.get(url).status_code == 200  # the link still works: nothing was deleted
    qtbot.wait(100)
    assert len(window.error_boxes) == 1
    assert window.sidebar.visible_ids() == [mid] and window.current_id() == mid
    assert window.view.isEnabled() and window.view.delete_action.isEnabled()


def test_deleting_is_not_offered_while_the_meeting_records(qtbot, app, yes):
    from test_gui_detect import FakeSession

    qt_app()
    app.settings.enhance.auto_after_stop = False
    win = MainWindow(app, tray=False, session_factory=lambda s, _b: FakeSession(s))
    qtbot.addWidget(win)
    win.show()
    win.recording.start()
    qtbot.waitUntil(lambda: win.recorder.recording)
    mid = win.recorder.meeting_id
    assert win.current_id() == mid
    assert not win.view.delete_action.isEnabled()
    assert (
        win.view.delete_action.toolTip() == RECORDING_TIP and "Stop the recording" in RECORDING_TIP
    )
    menu = win.sidebar.context_menu(mid)
    [action] = [a for a in menu.actions() if a.text() == "Delete meeting…"]
    assert not action.isEnabled() and action.toolTip() == RECORDING_TIP
    win.request_delete(mid)  # e.g. the Delete key: refused with the reason, nothing asked
    assert not yes.asked and exists(app, mid) and win.view.notice.text() == RECORDING_TIP

    win.recording.stop()
    qtbot.waitUntil(lambda: not win.recorder.recording and not win.recorder.busy)
    assert win.view.delete_action.isEnabled()
    win.request_delete(mid)
    qtbot.waitUntil(lambda: not exists(app, mid))
