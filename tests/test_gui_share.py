"""Share and Export from the window: real share servers on 127.0.0.1, real files."""

from __future__ import annotations

import json

import httpx
import pytest

pytest.importorskip("PySide6")

import test_gui  # noqa: E402
import test_share_helpers  # noqa: E402
from test_share_helpers import BLOCKS, SEGMENTS  # noqa: E402

from notes_app.domain import EnhancedNotes  # noqa: E402
from notes_app.gui.share_dialog import LOCAL_NOTE  # noqa: E402
from notes_app.share.local import stop_local_server  # noqa: E402

window = test_gui.window  # the fixture: the main window on the test's data folder
share_server = test_share_helpers.share_server  # the fixture: uvicorn on 127.0.0.1


def enhanced_meeting(app, window) -> int:
    mid = app.repo.create_meeting("Launch planning", notes="march 3?", segments=SEGMENTS)
    app.repo.add_enhanced(EnhancedNotes(mid, "offline", BLOCKS))
    window.refresh_meetings()
    window.open_meeting(mid)
    return mid


def test_share_and_export_are_offered_only_for_enhanced_notes(window, app):
    mid = app.repo.create_meeting("Raw only", notes="- a note")
    window.refresh_meetings()
    window.open_meeting(mid)
    assert window.view.share_button.isHidden() and window.view.export_button.isHidden()
    enhanced_meeting(app, window)
    assert window.view.share_button.isVisible() and window.view.export_button.isVisible()


def test_share_with_a_server_shows_the_link_lists_it_and_revokes(qtbot, window, app, share_server):
    app.settings.share.server_url = share_server.url
    app.settings.share.token = share_server.token
    enhanced_meeting(app, window)
    window.view.share_button.click()
    dialog = window.sharing.dialog
    qtbot.waitUntil(lambda: dialog.empty.isVisible())  # no links yet
    dialog.transcript.setChecked(True)
    dialog.expiry.setCurrentIndex(0)  # 7 days
    dialog.create_button.click()
    qtbot.waitUntil(lambda: dialog.link.text() != "", timeout=20_000)
    url = dialog.link.text()
    assert url.startswith(share_server.url + "/s/")
    assert dialog.local_note.isHidden()  # a real server: the link works for others
    page = httpx.get(url)
    assert page.status_code == 200 and "Marketing wants the launch" in page.text

    share_id = url.rsplit("/", 1)[1]
    qtbot.waitUntil(lambda: [r.id for r in dialog.records] == [share_id])
    assert dialog.row_for(share_id) is None  # shown once: in the box, not again in the list
    assert url not in [
        dialog.rows.itemAt(i).widget().record.url for i in range(dialog.rows.count())
    ]
    status = dialog.link_status.text()
    assert status.startswith("expires") and "with transcript" in status
    dialog.revoke_button.click()
    qtbot.waitUntil(lambda: dialog.records and dialog.records[0].revoked_at is not None)
    assert httpx.get(url).status_code == 404
    assert dialog.link_status.text().startswith("revoked") and dialog.revoke_button.isHidden()
    assert not window.error_boxes

    # A second link: the first is listed under it, with its state.
    dialog.create_button.click()
    qtbot.waitUntil(lambda: dialog.link.text() not in ("", url), timeout=20_000)
    qtbot.waitUntil(lambda: dialog.row_for(share_id) is not None)
    assert dialog.row_for(share_id).status.text().startswith("revoked")
    assert dialog.list_title.text() == "Other links to this meeting"


def test_publishing_squeezes_nothing(qtbot, window, app):
    enhanced_meeting(app, window)
    window.sharing.share()
    dialog = window.sharing.dialog
    qtbot.waitUntil(dialog.isVisible)
    before = dialog.expiry.height()
    dialog._busy(True)  # what Create link does while the link is published
    qtbot.waitUntil(lambda: dialog.progress.isVisible() and dialog.height() > 0)
    qtbot.wait(50)
    assert dialog.expiry.height() >= min(before, dialog.expiry.sizeHint().height())
    assert dialog.create_button.text() == "Publishing…"
    dialog._busy(False)


def test_share_without_a_server_says_the_link_works_only_here(qtbot, window, app, notes_home):
    enhanced_meeting(app, window)
    window.sharing.share()
    dialog = window.sharing.dialog
    dialog.questions.setChecked(False)
    try:
        dialog.publish()
        qtbot.waitUntil(
            lambda: dialog.link.text() != "" or bool(window.error_boxes), timeout=30_000
        )
        assert not window.error_boxes, window.error_boxes[0].text()
        assert dialog.link.text().startswith("http://127.0.0.1:")
        assert dialog.local_note.isVisible() and dialog.local_note.text() == LOCAL_NOTE
        assert "only on this computer" in LOCAL_NOTE
        assert "Ask about this meeting" not in httpx.get(dialog.link.text()).text
    finally:
        stop_local_server(notes_home)


def test_a_share_that_fails_shows_one_dialog(qtbot, window, app):
    app.settings.share.server_url = "http://127.0.0.1:9"
    app.settings.share.token = ""  # a server without a token: refused before sending
    enhanced_meeting(app, window)
    window.sharing.share()
    window.sharing.dialog.publish()
    qtbot.waitUntil(lambda: len(window.error_boxes) == 1)
    assert "No token for the share server" in window.error_boxes[0].text()
    assert window.sharing.dialog.create_button.isEnabled()


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_export_writes_the_chosen_format(qtbot, window, app, tmp_path, fmt):
    mid = enhanced_meeting(app, window)
    target = tmp_path / f"notes.{fmt}"
    window.sharing.ask_export_path = lambda title: (target, fmt)
    window.view.export_button.click()
    qtbot.waitUntil(target.exists)
    text = target.read_text(encoding="utf-8")
    assert "Launch planning" in text
    if fmt == "json":
        assert json.loads(text)["meeting"]["id"] == mid
    if fmt == "html":
        assert text.lstrip().lower().startswith("<!doctype html")
    qtbot.waitUntil(lambda: "Exported to" in window.view.notice.text())


def test_export_to_an_unwritable_place_shows_one_dialog(qtbot, window, app, tmp_path):
    enhanced_meeting(app, window)
    window.sharing.ask_export_path = lambda title: (tmp_path / "missing" / "notes.md", "md")
    window.sharing.export()
    qtbot.waitUntil(lambda: len(window.error_boxes) == 1)
    assert "Could not write" in window.error_boxes[0].text()
