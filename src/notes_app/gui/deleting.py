"""Deleting a meeting from the window: what blocks it, the confirmation, and the worker job.

Revoking share links is HTTP, so ``App.delete_meeting`` runs as a worker job with a connection
of its own; counting the links is a local indexed read, cheap enough for the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from notes_app.errors import NotesAppError
from notes_app.gui.workers import start_job

RECORDING_TIP = "This meeting is being recorded. Stop the recording first, then delete it."
ENHANCING_TIP = "This meeting is being enhanced. Wait for it to finish, then delete it."
DELETING_TIP = "A meeting is being deleted; wait a moment."
DELETE_TIP = "Delete the meeting with its notes, transcript and audio (Delete in the list)"


def confirm_text(title: str, links: int) -> tuple[str, str]:
    """The question and the detail under it: what goes, and the links that stop working."""
    what = (
        "Its notes, transcript, enhanced notes and audio recording will be deleted from "
        "this computer."
    )
    if links:
        what += f" Its {links} share link{'s' if links != 1 else ''} will be revoked."
    return f"Delete “{title}”?", what + " This cannot be undone."


def confirm_box(parent: QWidget | None, title: str, links: int) -> QMessageBox:
    """The confirmation: "Delete" answers Yes; Cancel is the default, so Enter keeps it."""
    question, detail = confirm_text(title, links)
    box = QMessageBox(QMessageBox.Icon.Warning, "Delete meeting", question, parent=parent)
    box.setInformativeText(detail)
    # Wide enough that the sentence reads as a paragraph, not a column of words.
    box.setStyleSheet("QLabel#qt_msgbox_informativelabel { min-width: 360px; }")
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
    box.button(QMessageBox.StandardButton.Yes).setText("Delete")
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return box


class Deleting(QObject):
    """The window's deletion section: what blocks deleting a meeting, the question, the job."""

    def __init__(self, win):
        super().__init__(win)
        self.win = win
        self.meeting_id: int | None = None  # being deleted now
        self.box: QMessageBox | None = None  # the last confirmation (tests, screenshots)

    def blocker(self, meeting_id: int | None) -> str:
        """Why the meeting cannot be deleted now, or "" when it can."""
        win = self.win
        if meeting_id is None:
            return "Choose a meeting first."
        if self.meeting_id is not None:
            return DELETING_TIP
        recorder = win.recorder
        starting_here = recorder.busy and recorder.session is None
        if (starting_here and win.current_id() == meeting_id) or recorder.meeting_id == meeting_id:
            return RECORDING_TIP
        try:  # another copy of the app (or `notes-app record`) may be recording it
            if win.app.repo.get_meeting(meeting_id).status == "recording":
                return RECORDING_TIP
        except NotesAppError:
            return ""  # already gone: the request itself will say so
        if win.enhancing.meeting_id == meeting_id:
            return ENHANCING_TIP
        return ""

    def request(self, meeting_id: int | None) -> None:
        """Ask, then delete the meeting (its share links are revoked first)."""
        win = self.win
        reason = self.blocker(meeting_id)
        if reason or meeting_id is None:
            win.view.show_notice(reason)  # e.g. the Delete key on a meeting being recorded
            return
        win.autosaver.flush()  # the title in the question is the one on screen
        try:
            meeting = win.app.repo.get_meeting(meeting_id)
            links = win.app.live_links(meeting_id)
        except NotesAppError as e:
            win.show_error(e)
            return
        title = win.view.title.text().strip() if win.current_id() == meeting_id else ""
        if self.confirm(title or meeting.title, links):
            self.start(meeting_id)

    def confirm(self, title: str, links: int) -> bool:
        self.box = confirm_box(self.win, title, links)
        answer = self.box.exec()
        self.box.deleteLater()
        return answer == QMessageBox.StandardButton.Yes

    def start(self, meeting_id: int) -> None:
        win = self.win
        win.autosaver.flush()
        self.meeting_id = meeting_id
        if win.current_id() == meeting_id:
            win.stop_playing()  # its recording is about to go
        self.sync()
        app = win.app

        def delete(_progress):
            with app.on_this_thread() as own:  # revoking is HTTP: off the GUI thread
                return own.delete_meeting(meeting_id)

        # Writes run in order on the writer: once this no-op ran, every edit of the meeting
        # flushed above is on disk, so nothing writes to its row after it is gone.
        win.writer.submit(
            lambda _repo: None,
            on_done=lambda _r: start_job(
                delete, on_done=self._deleted, on_fail=self._failed, owner=self
            ),
            on_fail=self._failed,
            owner=self,
        )

    def _deleted(self, done) -> None:
        win = self.win
        mid = done.meeting.id
        self.meeting_id = None
        win.autosaver.discard(lambda key: isinstance(key, tuple) and key[0] == mid)
        ids = win.sidebar.visible_ids()
        if win.current_id() == mid:
            win.view.meeting = None
            at = ids.index(mid) if mid in ids else -1
            rest = [i for i in ids if i != mid]
            after = ids[at + 1] if 0 <= at < len(ids) - 1 else (rest[-1] if rest else None)
            win.refresh_meetings(select=after)
            if after is None:
                win.pages.setCurrentIndex(0)  # the empty page: no meetings left
            else:
                win.open_meeting(after)
        else:
            win.refresh_meetings()
        self.sync()
        if win.sidebar.searching:
            win.run_search()  # its hits in the deleted meeting are gone
        if win.ask_panel is not None and win.ask_panel.scope_id() == mid:
            win.ask_panel.set_meeting(None)
        revoked = done.revoked_links
        also = f"; {revoked} share link{'s' if revoked != 1 else ''} revoked" if revoked else ""
        win.view.show_notice(f"Deleted “{done.meeting.title}”{also}")

    def _failed(self, err: NotesAppError) -> None:
        self.meeting_id = None
        self.sync()
        self.win.show_error(err)

    def sync(self) -> None:
        """The meeting view's "Delete meeting…" and, while it is being deleted, a locked view."""
        view = self.win.view
        mid = self.win.current_id()
        view.set_deletable(self.blocker(mid))
        deleting_here = mid is not None and mid == self.meeting_id
        view.setEnabled(not deleting_here)  # no edit may land on a row about to go
        if deleting_here:
            view.progress.setRange(0, 0)
        view.progress.setVisible(deleting_here or self.win.enhancing.meeting_id == mid)
