"""Folders in the window: the sidebar lists meetings by folder, and moves them.

A meeting dragged onto a folder in the sidebar, or moved with "Move to folder…", is moved by
``App.move_meeting`` (what `notes-app move` runs) on a worker job; then the list is read again,
keeping the current meeting selected (its folder opens when it is the one moved). A folder
name that cannot be one comes back as the usual one-sentence dialog.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from notes_app.gui.folders_model import MeetingSource
from notes_app.gui.workers import app_job, start_job

if TYPE_CHECKING:
    from notes_app.app import App
    from notes_app.domain import Meeting


def meeting_source(app: App) -> MeetingSource:
    """The sidebar's meetings by folder, read on the GUI thread: small indexed queries."""
    return MeetingSource(
        page=lambda folder, offset, limit: app.repo.folder_headers(folder, offset, limit),
        folders=app.folders,
        folder_of=lambda meeting_id: app.repo.get_meeting(meeting_id).folder,
    )


class Folders(QObject):
    """The window's folders section: moves asked for in the sidebar, made through App."""

    moved = Signal(object)  # the Meeting, in its new folder, once the list shows it

    def __init__(self, win):
        super().__init__(win)
        self.win = win
        self.source = meeting_source(win.app)
        win.sidebar.move_requested.connect(self.move)

    def move(self, meeting_id: int, folder: str | None) -> None:
        """Put a meeting in ``folder`` (None: in no folder), off the GUI thread."""
        start_job(
            app_job(self.win.app, lambda own, _p: own.move_meeting(meeting_id, folder)),
            on_done=self._moved,
            on_fail=self.win.show_error,
            owner=self,
        )

    def _moved(self, meeting: Meeting) -> None:
        win = self.win
        win.refresh_meetings()
        if win.showing(meeting.id):
            where = f"the folder {meeting.folder}" if meeting.folder else "no folder"
            win.view.show_notice(f"“{meeting.title}” is in {where} now.", 5000)
        self.moved.emit(meeting)
