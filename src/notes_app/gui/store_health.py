"""When the database cannot be written: a banner saying why and what to do; nothing typed lost.

The store opens read-only when its file cannot be written (a full disk) or is known damaged
(``Repo.read_only`` holds the sentence), and a write can also fail on its own (the disk filled
up mid-meeting). Either way the window says so once, in a banner above the meeting, instead of
a dialog per keystroke pause. Autosave keeps every refused edit pending (the text stays in the
editor, and in the autosaver for a meeting left); they are tried again every few seconds and
from "Try again", and the banner goes once a save goes through. Until then the notes typed can
be saved to a Markdown file, which the window also offers when it is closed with notes unsaved.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import cast

from PySide6.QtCore import QCoreApplication, QObject, QTimer
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QWidget,
)

from notes_app.errors import NotesAppError, StorageError

log = logging.getLogger(__name__)

RETRY_MS = 5000
KEPT = (
    "Your notes stay in this window and are saved as soon as the database can be written "
    "again; to be safe, you can also save them to a file."
)


class StoreBanner(QFrame):
    """The line above the meeting: why nothing is saved, what to do, and three buttons."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("StoreBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#StoreBanner { background: #fff4ce; border-bottom: 1px solid #c9a227; }"
            "#StoreBanner QLabel { color: #3b2f00; }"
        )
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 8, 12, 8)
        self.label = QLabel()
        self.label.setWordWrap(True)
        row.addWidget(self.label, 1)
        self.retry_button = QPushButton("Try again")
        self.save_button = QPushButton("Save notes to a file…")
        self.repair_button = QPushButton("Repair database…")
        for button in (self.retry_button, self.save_button, self.repair_button):
            row.addWidget(button)
        self.hide()

    def say(self, reason: str, *, unsaved: bool, damaged: bool) -> None:
        text = reason.strip()
        if unsaved:
            text += " " + KEPT
        self.label.setText(text)
        self.save_button.setVisible(unsaved)
        self.repair_button.setVisible(damaged)
        self.show()


class StoreHealth(QObject):
    """The window's section for an unwritable database (see the module's doc)."""

    def __init__(self, win, retry_ms: int = RETRY_MS):
        super().__init__(win)
        self.win = win
        self.banner = StoreBanner()
        win.body.layout().insertWidget(0, self.banner)  # above the meeting and the record bar
        self.reason: str | None = None  # why saving fails now; None when it works
        self.unsaved: dict[int, str] = {}  # meeting id → the notes as typed, not yet stored
        self.retry = QTimer(self)
        self.retry.setInterval(retry_ms)
        self.retry.timeout.connect(self.try_again)
        self.banner.retry_button.clicked.connect(self.try_again)
        self.banner.save_button.clicked.connect(self.save_to_file)
        self.banner.repair_button.clicked.connect(lambda: win.menus.repair_database())
        win.autosaver.failed.connect(self.save_failed)
        win.autosaver.saved.connect(self.saved)
        win.view.notes_edited.connect(self._typed)

    def check(self) -> None:
        """At start (and after a repair): say so when the database opened read-only."""
        try:
            reason = self.win.app.repo.read_only
        except NotesAppError as e:  # not even readable: the reads will say so
            log.warning("The database could not be checked: %s", e, exc_info=True)
            return
        if reason:
            self._show(reason)
        elif self.reason is not None and not self.win.autosaver.has_pending:
            self._healthy()

    # --- autosave ---------------------------------------------------------------------------

    def _typed(self, text: str) -> None:
        mid = self.win.current_id()
        if mid is not None:
            self.unsaved[mid] = text

    def save_failed(self, err: NotesAppError) -> None:
        """An autosave was refused: storage problems go to the banner (once), others to a
        dialog as before. The edit stays pending either way."""
        if not isinstance(err, StorageError):
            self.win.show_error(err)
            return
        if self.reason != str(err) or not self.banner.isVisible():
            self._show(str(err))
        if not self.retry.isActive():
            self.retry.start()

    def saved(self, key: object) -> None:
        mid, field = cast("tuple[int, str]", key)
        if field == "notes":
            self.unsaved.pop(mid, None)
        if self.reason is not None and not self.win.autosaver.has_pending:
            self._healthy()

    def try_again(self) -> None:
        if self.win.autosaver.has_pending:
            self.win.autosaver.flush()
        else:
            self.check()

    # --- the banner -------------------------------------------------------------------------

    def _show(self, reason: str) -> None:
        self.reason = reason
        damaged = "damaged" in reason
        self.banner.say(reason, unsaved=self.win.autosaver.has_pending, damaged=damaged)

    def _healthy(self) -> None:
        self.reason = None
        self.retry.stop()
        self.banner.hide()
        self.unsaved.clear()
        self.win.statusBar().showMessage("Your notes are saved again.", 8000)

    # --- a copy in a file -------------------------------------------------------------------

    def choose_file(self) -> Path | None:
        chosen, _ = QFileDialog.getSaveFileName(
            self.win, "Save notes to a file", str(Path.home() / "Unsaved notes.md"), "*.md"
        )
        return Path(chosen) if chosen else None

    def save_to_file(self) -> Path | None:
        """Write the notes not yet stored (every meeting's, as typed) to a Markdown file."""
        if not self.unsaved:
            return None
        path = self.choose_file()
        if path is None:
            return None
        parts = []
        for mid, text in self.unsaved.items():
            title = self._title(mid)
            parts.append(f"# {title}\n\n{text.rstrip()}\n")
        try:
            path.write_text("\n".join(parts), encoding="utf-8")
        except OSError as e:
            self.win.show_error(
                NotesAppError(
                    f"Could not write {path}: {e.strerror or e}. Choose a folder on another "
                    "disk (a USB stick) and try again; your notes are still in the window."
                )
            )
            return None
        self.win.statusBar().showMessage(f"Notes saved to {path}.", 8000)
        return path

    def _title(self, mid: int) -> str:
        meeting = self.win.view.meeting
        if meeting is not None and meeting.id == mid:
            return self.win.view.title.text() or meeting.title
        try:
            return self.win.app.repo.get_meeting(mid).title
        except NotesAppError:
            log.warning("No title for meeting %s", mid, exc_info=True)
            return f"Meeting {mid}"

    def before_close(self) -> bool:
        """Closing with notes the database refused: offer to save them to a file first."""
        self.win.autosaver.flush_and_wait()
        QCoreApplication.processEvents()  # the refusals come back as queued signals
        if self.reason is None or not self.win.autosaver.has_pending or not self.unsaved:
            return True
        answer = self.ask_close()
        if answer == QMessageBox.StandardButton.Cancel:
            return False
        if answer == QMessageBox.StandardButton.Save:
            return self.save_to_file() is not None
        return True

    def ask_close(self) -> QMessageBox.StandardButton:
        return QMessageBox.warning(
            self.win,
            "Notes",
            f"{self.reason or 'The database cannot be written.'} Some notes you typed are not "
            "saved in it. Save them to a file before closing?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
