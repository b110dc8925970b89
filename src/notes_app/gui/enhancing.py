"""Enhancing from the window: one meeting at a time, as a worker job calling ``App.enhance``.

Blocks stream into the view as ``BlockWritten`` events while the model writes; the checked
result replaces them and is stored through the window's writer thread. Edits made to the
enhanced notes are stored as a new version the same way.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from notes_app.domain import EnhancedNotes
from notes_app.enhance.templates import DEFAULT_TEMPLATE
from notes_app.errors import NotesAppError
from notes_app.events import BlockWritten, Event, Progress
from notes_app.gui.enhanced_text import text_to_blocks
from notes_app.gui.template_combo import OFFLINE_NOTICE
from notes_app.gui.workers import app_job, start_job

NO_TRANSCRIPT = (
    "This meeting has no transcript yet, so there is nothing to fill your notes in from. "
    "Record the meeting (Ctrl+R), or import its transcript with `notes-app import FILE`, "
    "then enhance."
)


class Enhancing(QObject):
    """The window's enhancement section; ``meeting_id`` is the meeting being enhanced now."""

    def __init__(self, win):
        super().__init__(win)
        self.win = win
        self.meeting_id: int | None = None
        self.streamed: list = []  # blocks of the enhancement running now, as they arrived
        self.template = ""  # the template it was asked for

    def shortcut(self) -> None:
        button = self.win.view.enhance_button
        if button.isVisible() and button.isEnabled():
            self.start(self.win.view.template.current_name())

    def start(self, template: str = "") -> None:
        win = self.win
        if win.view.meeting is None or self.meeting_id is not None:
            return
        meeting = win.view.on_screen()  # the notes as typed, saved or not
        transcript = win.view.transcript
        if not transcript.segments:
            # Nothing to ground the notes in: say so rather than make notes of nothing.
            win.show_error(NotesAppError(NO_TRANSCRIPT))
            return
        app = win.app
        self.meeting_id = meeting.id
        self.template = template
        self.streamed = []
        win.view.set_busy(True, "Enhancing…")
        win.deleting.sync()
        start_job(
            lambda progress: app.enhance(
                meeting, transcript, template=template or None, on_event=progress
            ),
            on_done=self._enhanced,
            on_fail=self._failed,
            on_progress=self._progress,
            owner=self,
        )

    def _progress(self, event: Event) -> None:
        here = self.win.current_id() == self.meeting_id
        if isinstance(event, BlockWritten):
            # Blocks arrive as the LLM writes them; the checked result replaces them at the end.
            self.streamed.append(event.block)
            if here:
                self.win.view.show_streaming(self.streamed)
        elif isinstance(event, Progress) and here:
            self.win.view.set_progress(event.done, event.total)

    def _enhanced(self, notes: EnhancedNotes) -> None:
        chosen = self.template not in ("", DEFAULT_TEMPLATE)
        if notes.mode == "offline" and chosen and self.win.current_id() == notes.meeting_id:
            self.win.view.show_notice(OFFLINE_NOTICE, 12_000)
        self.win.writer.submit(
            lambda repo: repo.add_enhanced(notes),
            on_done=self.stored,
            on_fail=self._failed,
            owner=self,
        )

    def stored(self, stored: EnhancedNotes) -> None:
        """A new version is stored (enhanced, or edited by the user): show it if on screen."""
        if stored.meeting_id == self.meeting_id:
            self.meeting_id = None
            self.streamed = []
        self.win.deleting.sync()
        if self.win.current_id() == stored.meeting_id:
            self.win.view.set_busy(self.meeting_id == stored.meeting_id)
            self.win.view.set_enhanced(stored)
        self._to_vault(stored)

    def _to_vault(self, stored: EnhancedNotes) -> None:
        """The Markdown vault's file brought up to date off the GUI thread (notes.vault)."""
        app, meeting_id = self.win.app, stored.meeting_id
        if meeting_id is None or app.settings.vault_path is None:
            return
        start_job(
            app_job(app, lambda own, _progress: own.vault_after_enhance(meeting_id)),
            on_done=lambda said: said and self.win.view.show_notice(said, 12_000),
            owner=self,
        )

    def _failed(self, err: NotesAppError) -> None:
        streaming_here = bool(self.streamed) and self.win.current_id() == self.meeting_id
        self.meeting_id = None
        self.streamed = []
        self.win.view.set_busy(False)
        self.win.deleting.sync()
        if streaming_here:
            self.win.view.end_streaming()
        self.win.show_error(err)

    def save_edit(self, edit: str | tuple) -> None:
        """The user's edit of the enhanced notes (blocks, or text), stored as a new version."""
        old = self.win.view.enhanced
        if old is None or old.meeting_id is None:
            return
        edited = EnhancedNotes(
            meeting_id=old.meeting_id,
            mode=old.mode,
            blocks=text_to_blocks(edit, old.blocks) if isinstance(edit, str) else tuple(edit),
            model=old.model,
            template=old.template,
        )
        self.win.writer.submit(
            lambda repo: repo.add_enhanced(edited),
            on_done=self.stored,
            on_fail=self.win.show_error,
            owner=self,
        )
