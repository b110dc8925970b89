"""At launch: meetings whose recording process died are offered for recovery.

Finishing them (``App.recover``: the spooled rest of the audio transcribed, the audio closed)
runs as a worker job with a database connection of its own.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from notes_app.errors import NotesAppError
from notes_app.gui.workers import start_job


def ask_recover(parent: QWidget, titles: list[str]) -> bool:
    names = ", ".join(f"“{t}”" for t in titles)
    answer = QMessageBox.question(
        parent,
        "Notes",
        f"The app closed while recording {names}. Recover it now? Its notes and transcript "
        "so far are kept, and the rest of the audio is transcribed.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.Yes,
    )
    return answer == QMessageBox.StandardButton.Yes


class Recovery(QObject):
    """The window's recovery section: ask once the window shows, then finish in the background."""

    def __init__(self, win):
        super().__init__(win)
        self.win = win

    def offer(self) -> None:
        win = self.win
        stranded = win.app.unfinished()
        if not stranded or not win.ask_recover([m.title for m in stranded]):
            return
        app, ids = win.app, [m.id for m in stranded]

        def recover_all(progress):
            with app.on_this_thread() as own:
                whisper = own.whisper()  # it loads only if some meeting has audio left
                return [
                    own.recover(own.repo.get_meeting(mid), whisper, on_event=progress)
                    for mid in ids
                ]

        win.record_bar.set_recording(False, busy="Recovering…")
        start_job(recover_all, on_done=self._recovered, on_fail=self._failed, owner=self)

    def _recovered(self, meetings: list) -> None:
        self.win.record_bar.set_recording(False)
        self.win.refresh_meetings()
        if meetings:
            self.win.view.meeting = None
            self.win.open_meeting(meetings[-1].id)

    def _failed(self, err: NotesAppError) -> None:
        self.win.record_bar.set_recording(False)
        self.win.show_error(err)
