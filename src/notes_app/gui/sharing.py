"""Sharing and exporting from the window: the Share dialog and the Export job.

Both act on the meeting on screen once it has enhanced notes. Publishing talks to a share
server and exporting writes a file, so both run off the GUI thread (gui/share_dialog.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from notes_app.gui.meeting_view import ask_export_path
from notes_app.gui.workers import start_job

if TYPE_CHECKING:  # the dialog's module loads when first shared or exported
    from notes_app.gui.share_dialog import ShareDialog


class Sharing(QObject):
    """The window's share and export section."""

    def __init__(self, win) -> None:
        super().__init__(win)
        self.win = win
        self.dialog: ShareDialog | None = None  # the last one opened (tests, screenshots)

    def _shareable(self) -> int | None:
        """The meeting on screen if it has enhanced notes to share or export, else None."""
        view = self.win.view
        if self.win.current_id() is None or view.enhanced is None:
            return None
        return self.win.current_id()

    def share(self) -> None:
        mid = self._shareable()
        if mid is None:
            self.win.view.show_notice("Enhance the notes first: links share enhanced notes")
            return
        from notes_app.gui.share_dialog import ShareDialog

        self.dialog = ShareDialog(self.win.app, mid, self.win.view.title.text(), self.win)
        self.dialog.open()

    def export(self) -> None:
        mid = self._shareable()
        if mid is None:
            self.win.view.show_notice("Enhance the notes first: Export saves enhanced notes")
            return
        chosen = self.ask_export_path(self.win.view.title.text() or "notes")
        if chosen is None:
            return
        path, fmt = chosen
        from notes_app.gui.share_dialog import export_job

        start_job(
            export_job(self.win.app, mid, fmt, path),
            on_done=lambda p: self.win.view.show_notice(f"Exported to {p.name}"),
            on_fail=self.win.show_error,
            owner=self,
        )

    def ask_export_path(self, title: str) -> tuple[Path, str] | None:
        """The file and format the user picks, or None if they cancel."""
        return ask_export_path(self.win, title)
