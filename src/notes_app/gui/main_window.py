"""The main window: the sidebar of meetings beside one meeting, wired to the store and the core.

Reads (a meeting, its transcript, the meeting list) are small indexed queries on a local WAL
database and run on the GUI thread; every write goes through the DbWriter thread, and every
slow step (enhancement, capture, HTTP) through a worker job.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from notes_app.app import App
from notes_app.domain import EnhancedNotes
from notes_app.errors import NotesAppError
from notes_app.gui import enhancing, recording, theme
from notes_app.gui.editor import Autosaver
from notes_app.gui.enhanced_text import text_to_blocks
from notes_app.gui.meeting_view import MeetingView
from notes_app.gui.overview import OverviewPage, load_stats
from notes_app.gui.record_bar import RecordBar
from notes_app.gui.recording import Recorder, SessionBridge, SessionFactory, build_session
from notes_app.gui.sidebar import Sidebar
from notes_app.gui.workers import DbWriter, start_job
from notes_app.store.search import search


def _has_module(name: str) -> bool:
    import importlib

    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


class MainWindow(QMainWindow):
    def __init__(
        self,
        app: App,
        *,
        autosave_ms: int = 1000,
        search_delay_ms: int = 250,
        session_factory: SessionFactory | None = build_session,
        tray: bool = True,
        detector_factory=None,
        detect_interval_ms: int = 3000,
        audio_output=None,
    ):
        super().__init__()
        self.app = app
        # Recording is offered only when the live-capture core is installed.
        self.session_factory = session_factory if recording.available() else None
        self.bridge = SessionBridge(self)
        self.recorder = Recorder(
            app.settings, self.session_factory or build_session, self.bridge, self
        )
        self.settings = app.settings
        self.writer = DbWriter(self.settings.db_path)
        # Searches run on a thread of their own, so a long one never delays saving notes.
        self.reader = DbWriter(self.settings.db_path)
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(search_delay_ms)
        self.search_timer.timeout.connect(self.run_search)
        self.ask_panel = None
        self.audio_output = audio_output  # the sounddevice module (None: the real one, on use)
        self._player = None
        self.autosaver = Autosaver(self.writer, autosave_ms, self)
        self.autosaver.failed.connect(self.show_error)
        self.autosaver.saved.connect(self._on_saved)
        self.enhancing_meeting: int | None = None
        self.deleting_meeting: int | None = None
        self.streamed: list = []  # blocks of the enhancement running now, as they arrived
        self.error_boxes: list[QMessageBox] = []
        self.setWindowTitle("Notes")
        self.setWindowIcon(theme.app_icon())
        self.resize(1180, 760)
        self._build()
        self._shortcuts()
        self._wire_recording()
        self.tray = self._make_tray() if tray else None
        self.prompt = None
        self.detection = self._make_detection(detector_factory, detect_interval_ms)
        self.refresh_meetings()

    # --- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.sidebar = Sidebar()
        self.sidebar.meeting_selected.connect(self.open_meeting)
        self.sidebar.new_meeting_requested.connect(self.new_meeting)
        self.sidebar.settings_requested.connect(self.open_settings)
        self.sidebar.search_changed.connect(lambda _q: self.search_timer.start())
        self.sidebar.result_clicked.connect(self.open_result)
        self.sidebar.ask_requested.connect(self.open_ask)
        self.sidebar.overview_requested.connect(self.open_overview)
        self.sidebar.delete_requested.connect(self.request_delete)
        self.sidebar.delete_blocker = self.delete_blocker
        self.view = MeetingView(enhancing.templates(self.settings))
        self.view.enhance_button.setVisible(enhancing.available())
        self.view.notes_edited.connect(self._notes_edited)
        self.view.title_edited.connect(self._title_edited)
        self.view.attendees_edited.connect(self._attendees_edited)
        self.view.enhance_requested.connect(self.enhance)
        self.view.enhanced_edit_saved.connect(self.save_enhanced_edit)
        self.view.play_requested.connect(self.play_from)
        self.view.share_requested.connect(self.open_share)
        self.view.export_requested.connect(self.export)
        self.view.delete_requested.connect(self.request_delete)
        self.view.more_menu_opening.connect(self._sync_delete_action)
        self.view.failed.connect(self.show_error)
        self.view.can_share = _has_module("notes_app.share.desktop")
        self.pages = QStackedWidget()
        self.pages.addWidget(self._empty_page())
        self.pages.addWidget(self.view)
        self.overview = OverviewPage()
        self.overview.new_meeting_requested.connect(self.new_meeting)
        self.pages.addWidget(self.overview)
        self.body = QWidget()
        body_layout = QVBoxLayout(self.body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.setSpacing(0)
        body_layout.addWidget(self.pages, 1)
        self.record_bar = RecordBar()
        self.record_bar.setVisible(self.session_factory is not None)
        self.record_bar.record_clicked.connect(self.toggle_recording)
        body_layout.addWidget(self.record_bar)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setHandleWidth(1)
        split.addWidget(self.sidebar)
        split.addWidget(self.body)
        split.setStretchFactor(1, 1)
        split.setSizes([270, 910])
        split.setChildrenCollapsible(False)
        self.setCentralWidget(split)

    def _empty_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(2)
        title = QLabel("Take notes. Let the transcript fill in the rest.")
        title.setStyleSheet("font-size: 17pt; font-weight: 600;")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel(
            "Start a meeting and jot down a few words per point while you listen.\n"
            "Everything stays on this computer."
        )
        hint.setObjectName("Muted")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        start = QPushButton("+  New meeting")
        start.setObjectName("Primary")
        start.clicked.connect(self.new_meeting)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(start)
        row.addStretch(1)
        layout.addWidget(title)
        layout.addSpacing(6)
        layout.addWidget(hint)
        layout.addSpacing(18)
        layout.addLayout(row)
        layout.addStretch(3)
        return page

    def _shortcuts(self) -> None:
        self.shortcuts = {
            "new": QShortcut(QKeySequence("Ctrl+N"), self, self.new_meeting),
            "search": QShortcut(QKeySequence("Ctrl+F"), self, self.focus_search),
            "enhance": QShortcut(QKeySequence("Ctrl+E"), self, self._enhance_shortcut),
            "settings": QShortcut(QKeySequence("Ctrl+,"), self, self.open_settings),
            # Only while the meeting list has focus: Delete in the notes deletes text.
            "delete": QShortcut(
                QKeySequence(Qt.Key.Key_Delete),
                self.sidebar.tree,
                lambda: self.request_delete(self.sidebar.current_id()),
                context=Qt.ShortcutContext.WidgetShortcut,
            ),
        }
        if self.session_factory is not None:
            self.shortcuts["record"] = QShortcut(
                QKeySequence("Ctrl+R"), self, self.toggle_recording
            )

    def _make_tray(self):
        from PySide6.QtWidgets import QSystemTrayIcon

        from notes_app.gui.tray import Tray

        if not QSystemTrayIcon.isSystemTrayAvailable():
            return None
        tray = Tray(self, can_record=self.session_factory is not None)
        tray.show()
        return tray

    # --- meetings -----------------------------------------------------------------------------

    def refresh_meetings(self, select: int | None = None) -> None:
        self.sidebar.set_meetings(self.app.repo.list_meetings(), select=select)

    def new_meeting(self) -> None:
        self.autosaver.flush()
        self.writer.submit(
            lambda repo: repo.create_meeting("Untitled meeting"),
            on_done=self._created,
            on_fail=self.show_error,
            owner=self,
        )

    def _created(self, meeting_id: int) -> None:
        self.refresh_meetings(select=meeting_id)
        self.open_meeting(meeting_id)
        self.view.title.setFocus()
        self.view.title.selectAll()

    def open_meeting(self, meeting_id: int) -> None:
        if self.view.meeting is not None and self.view.meeting.id == meeting_id:
            if self.pages.currentWidget() is self.view:
                return
        self.autosaver.flush()  # the previous meeting's last keystrokes go out first
        loaded = self._read_meeting(meeting_id)
        if loaded is None:
            return
        if self._player is not None:
            self._player.stop()  # the clip belongs to the meeting being left
        self.view.show_meeting(*loaded)
        self.view.set_busy(self.enhancing_meeting == meeting_id)
        self._sync_delete_action()
        if self.enhancing_meeting == meeting_id and self.streamed:
            self.view.show_streaming(self.streamed)
        self.pages.setCurrentWidget(self.view)
        if self.sidebar.current_id() != meeting_id:
            self.sidebar.select(meeting_id)

    def reload_meeting(self, meeting_id: int) -> None:
        """Re-read the meeting on screen (its transcript, status, enhanced notes) while keeping
        what the user typed: the stored copy may not have the last keystrokes yet."""
        loaded = self._read_meeting(meeting_id)
        if loaded is None:
            return
        self.view.show_meeting(*loaded, keep_edits=True)
        self.view.set_busy(self.enhancing_meeting == meeting_id)

    def _read_meeting(self, meeting_id: int) -> tuple | None:
        """The meeting, its transcript and latest enhanced notes; None (after one dialog) if
        they cannot be read. Small indexed reads, so they stay on the GUI thread."""
        try:
            repo = self.app.repo
            return (
                repo.get_meeting(meeting_id),
                repo.get_transcript(meeting_id),
                repo.get_enhanced(meeting_id),
            )
        except NotesAppError as e:
            self.show_error(e)
            return None

    def showing(self, meeting_id: int) -> bool:
        return self.current_id() == meeting_id and self.pages.currentWidget() is self.view

    def current_id(self) -> int | None:
        return self.view.meeting.id if self.view.meeting is not None else None

    def open_overview(self) -> None:
        """The overview page; its figures are counted afresh on the reader thread."""
        self.autosaver.flush()  # notes typed a moment ago count too
        self.overview.show_loading()
        self.pages.setCurrentWidget(self.overview)
        self.sidebar.clear_selection()
        self.reader.submit(
            load_stats,
            on_done=self.overview.show_stats,
            on_fail=self._overview_failed,
            owner=self,
        )

    def _overview_failed(self, err: NotesAppError) -> None:
        self.overview.show_failed()
        self.show_error(err)

    def open_settings(self) -> None:
        from notes_app.gui.settings_dialog import SettingsDialog

        self.settings_dialog = SettingsDialog(self.settings, self)
        self.settings_dialog.open()

    def focus_search(self) -> None:
        self.sidebar.search.setFocus()
        self.sidebar.search.selectAll()

    # --- search and ask -----------------------------------------------------------------------

    def run_search(self) -> None:
        """Search for what the field says now (debounced: called once typing pauses)."""
        query = self.sidebar.search.text().strip()
        if not query:
            return
        self.reader.submit(
            lambda repo: search(repo.db, query, limit=50),
            on_done=lambda results: self.sidebar.show_results(query, results),
            on_fail=self.show_error,
            owner=self,
        )

    def open_result(self, result) -> None:
        self.open_meeting(result.meeting_id)
        if result.kind == "transcript" and result.segment is not None:
            self.view.open_citation(result.segment)

    def open_at(self, meeting_id: int | None, segment: int | None) -> None:
        """Open a meeting at a transcript line (a citation's target)."""
        if meeting_id is None:
            return
        self.refresh_meetings()
        self.open_meeting(meeting_id)
        if self.current_id() == meeting_id and segment is not None:
            self.view.open_citation(segment)

    def open_ask(self) -> None:
        from notes_app.gui.ask_panel import AskPanel

        if self.ask_panel is None:
            self.ask_panel = AskPanel(self.settings, self.writer, self)
            self.ask_panel.citation_opened.connect(lambda c: self.open_at(c.meeting_id, c.segment))
        shown = self.view.meeting if self.pages.currentWidget() is self.view else None
        if shown is None:
            self.ask_panel.set_meeting(None)
        else:
            self.ask_panel.set_meeting(shown.id, self.view.title.text())
        self.ask_panel.show()
        self.ask_panel.raise_()
        self.ask_panel.question.setFocus()

    # --- playing the recording ------------------------------------------------------------------

    @property
    def player(self):
        if self._player is None:
            from notes_app.gui.playback import Player

            self._player = Player(self.audio_output, self)
            self._player.state_changed.connect(self.view.set_playing)
            self._player.failed.connect(self.show_error)
        return self._player

    def play_from(self, seg) -> None:
        """Play the meeting's recording from a segment; None stops."""
        meeting = self.view.meeting
        if seg is None or meeting is None or not meeting.audio_path:
            if self._player is not None:
                self._player.stop()
            return
        from pathlib import Path

        self.player.play(Path(meeting.audio_path), seg.start)

    # --- share and export ---------------------------------------------------------------------

    def open_share(self) -> None:
        from notes_app.gui.share_dialog import ShareDialog

        mid = self.current_id()
        if mid is None or self.view.enhanced is None:
            return
        self.share_dialog = ShareDialog(self.settings, mid, self.view.title.text(), self)
        self.share_dialog.open()

    def export(self) -> None:
        mid = self.current_id()
        if mid is None or self.view.enhanced is None:
            return
        chosen = self.ask_export_path(self.view.title.text() or "notes")
        if chosen is None:
            return
        from notes_app.gui.share_dialog import export_job

        path, fmt = chosen
        start_job(
            export_job(self.settings, mid, fmt, path),
            on_done=lambda p: self.view.show_notice(f"Exported to {p.name}"),
            on_fail=self.show_error,
            owner=self,
        )

    def ask_export_path(self, title: str):
        """The file and format the user picks, or None if they cancel."""
        from pathlib import Path

        from PySide6.QtWidgets import QFileDialog

        from notes_app.gui.share_dialog import EXPORT_FORMATS, format_for

        safe = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in title).strip()
        start = str(Path.home() / f"{safe or 'notes'}.md")
        path, chosen = QFileDialog.getSaveFileName(
            self, "Export notes", start, ";;".join(EXPORT_FORMATS.values())
        )
        if not path:
            return None
        fmt = format_for(path, chosen)
        target = Path(path)
        if not target.suffix:
            target = target.with_suffix("." + fmt)
        return target, fmt

    # --- deleting -----------------------------------------------------------------------------

    def delete_blocker(self, meeting_id: int | None) -> str:
        """Why the meeting cannot be deleted now, or "" when it can."""
        from notes_app.gui import deleting

        if meeting_id is None:
            return "Choose a meeting first."
        if self.deleting_meeting is not None:
            return deleting.DELETING_TIP
        starting_here = (
            self.recorder.busy
            and self.recorder.session is None
            and (self.current_id() == meeting_id)
        )
        if starting_here or self.recorder.meeting_id == meeting_id:
            return deleting.RECORDING_TIP
        try:  # another copy of the app (or `notes-app record`) may be recording it
            if self.app.repo.get_meeting(meeting_id).status == "recording":
                return deleting.RECORDING_TIP
        except NotesAppError:
            return ""  # already gone: the request itself will say so
        if self.enhancing_meeting == meeting_id:
            return deleting.ENHANCING_TIP
        return ""

    def request_delete(self, meeting_id: int | None) -> None:
        """Ask, then delete the meeting (its share links are revoked first)."""
        from notes_app.gui import deleting

        reason = self.delete_blocker(meeting_id)
        if reason:
            self.view.show_notice(reason)  # e.g. the Delete key on a meeting being recorded
            return
        self.autosaver.flush()  # the title in the question is the one on screen
        try:
            meeting = self.app.repo.get_meeting(meeting_id)
            links = deleting.live_link_count(self.settings, self.app.repo, meeting_id)
        except NotesAppError as e:
            self.show_error(e)
            return
        title = self.view.title.text().strip() if self.current_id() == meeting_id else ""
        if self.confirm_delete(title or meeting.title, links):
            self.start_delete(meeting_id)

    def confirm_delete(self, title: str, links: int) -> bool:
        from notes_app.gui.deleting import confirm_box

        box = confirm_box(self, title, links)
        self.delete_box = box  # kept for a look at it (tests, screenshots)
        answer = box.exec()
        box.deleteLater()
        return answer == QMessageBox.StandardButton.Yes

    def start_delete(self, meeting_id: int) -> None:
        from notes_app.gui.deleting import delete_job

        self.autosaver.flush()
        self.deleting_meeting = meeting_id
        if self._player is not None and self.current_id() == meeting_id:
            self._player.stop()  # its recording is about to go
        self._sync_delete_action()
        # Writes run in order on the writer: once this no-op ran, every edit of the meeting
        # flushed above is on disk, so nothing writes to its row after it is gone.
        self.writer.submit(
            lambda _repo: None,
            on_done=lambda _r: start_job(
                delete_job(self.settings, meeting_id),
                on_done=self._deleted,
                on_fail=self._delete_failed,
                owner=self,
            ),
            on_fail=self._delete_failed,
            owner=self,
        )

    def _deleted(self, done) -> None:
        mid = done.meeting.id
        self.deleting_meeting = None
        self.autosaver.discard(lambda key: isinstance(key, tuple) and key[0] == mid)
        ids = self.sidebar.visible_ids()
        if self.current_id() == mid:
            self.view.meeting = None
            at = ids.index(mid) if mid in ids else -1
            rest = [i for i in ids if i != mid]
            after = ids[at + 1] if 0 <= at < len(ids) - 1 else (rest[-1] if rest else None)
            self.refresh_meetings(select=after)
            if after is None:
                self.pages.setCurrentIndex(0)  # the empty page: no meetings left
            else:
                self.open_meeting(after)
        else:
            self.refresh_meetings()
        self._sync_delete_action()
        if self.sidebar.searching:
            self.run_search()  # its hits in the deleted meeting are gone
        if self.ask_panel is not None and self.ask_panel.scope_id() == mid:
            self.ask_panel.set_meeting(None)
        revoked = done.revoked_links
        also = f"; {revoked} share link{'s' if revoked != 1 else ''} revoked" if revoked else ""
        self.view.show_notice(f"Deleted “{done.meeting.title}”{also}")

    def _delete_failed(self, err: NotesAppError) -> None:
        self.deleting_meeting = None
        self._sync_delete_action()
        self.show_error(err)

    def _sync_delete_action(self) -> None:
        """The meeting view's "Delete meeting…" and, while it is being deleted, a locked view."""
        mid = self.current_id()
        self.view.set_deletable(self.delete_blocker(mid))
        deleting_here = mid is not None and mid == self.deleting_meeting
        self.view.setEnabled(not deleting_here)  # no edit may land on a row about to go
        if deleting_here:
            self.view.progress.setRange(0, 0)
        self.view.progress.setVisible(deleting_here or self.enhancing_meeting == mid)

    # --- autosave -----------------------------------------------------------------------------

    def _notes_edited(self, text: str) -> None:
        mid = self.current_id()
        if mid is not None:
            self.autosaver.changed((mid, "notes"), lambda repo: repo.set_notes(mid, text))

    def _title_edited(self, title: str) -> None:
        mid = self.current_id()
        if mid is not None:
            self.autosaver.changed(
                (mid, "title"), lambda repo: repo.update_meeting(mid, title=title)
            )

    def _attendees_edited(self, names: list[str]) -> None:
        mid = self.current_id()
        if mid is not None:
            self.autosaver.changed(
                (mid, "attendees"), lambda repo: repo.update_meeting(mid, attendees=names)
            )

    def _on_saved(self, key) -> None:
        _mid, field = key
        if field == "title":
            self.refresh_meetings()

    # --- enhancement --------------------------------------------------------------------------

    def _enhance_shortcut(self) -> None:
        if self.view.enhance_button.isVisible() and self.view.enhance_button.isEnabled():
            self.enhance(self.view.template.currentText())

    def enhance(self, template: str = "") -> None:
        meeting = self.view.meeting
        if meeting is None or not enhancing.available() or self.enhancing_meeting is not None:
            return
        meeting = self.view.on_screen()
        notes = meeting.notes
        job = enhancing.enhance_job(self.settings, meeting, self.view.transcript, notes, template)
        self.enhancing_meeting = meeting.id
        self.streamed = []
        self.view.set_busy(True, "Enhancing…")
        self._sync_delete_action()
        start_job(
            job,
            on_done=lambda result: self._enhanced(meeting.id, result),
            on_fail=self._enhance_failed,
            on_progress=self._enhance_progress,
            owner=self,
        )

    def _enhance_progress(self, event) -> None:
        if not isinstance(event, tuple) or not event:
            return
        if event[0] == "block":
            # Blocks arrive as the LLM writes them; the checked result replaces them at the end.
            self.streamed.append(event[1])
            if self.current_id() == self.enhancing_meeting:
                self.view.show_streaming(self.streamed)
        elif event[0] == "progress" and self.current_id() == self.enhancing_meeting:
            self.view.set_progress(event[1], event[2])

    def _enhanced(self, meeting_id: int, result: EnhancedNotes) -> None:
        notes = replace(result, meeting_id=meeting_id)
        self.writer.submit(
            lambda repo: repo.add_enhanced(notes),
            on_done=self._enhanced_stored,
            on_fail=self._enhance_failed,
            owner=self,
        )

    def _enhanced_stored(self, stored: EnhancedNotes) -> None:
        self.enhancing_meeting = None
        self.streamed = []
        self._sync_delete_action()
        if self.current_id() == stored.meeting_id:
            self.view.set_busy(False)
            self.view.set_enhanced(stored)

    def _enhance_failed(self, err: NotesAppError) -> None:
        streaming_here = bool(self.streamed) and self.current_id() == self.enhancing_meeting
        self.enhancing_meeting = None
        self.streamed = []
        self.view.set_busy(False)
        self._sync_delete_action()
        if streaming_here:
            self.view.end_streaming()
        self.show_error(err)

    def save_enhanced_edit(self, text: str) -> None:
        old = self.view.enhanced
        if old is None or old.meeting_id is None:
            return
        edited = EnhancedNotes(
            meeting_id=old.meeting_id,
            mode=old.mode,
            blocks=text_to_blocks(text, old.blocks),
            model=old.model,
            template=old.template,
        )
        self.writer.submit(
            lambda repo: repo.add_enhanced(edited),
            on_done=self._enhanced_stored,
            on_fail=self.show_error,
            owner=self,
        )

    # --- recording ----------------------------------------------------------------------------

    def _wire_recording(self) -> None:
        self.bridge.segment.connect(self._on_segment)
        self.bridge.tentative.connect(self._on_tentative)
        self.bridge.level.connect(
            lambda ch, rms: self.record_bar.show_level(ch, rms, self.recorder.seconds)
        )
        self.bridge.backlog.connect(self.record_bar.show_backlog)
        self.bridge.error.connect(self.show_error)
        self.recorder.started.connect(self._recording_started)
        self.recorder.stopped.connect(self._recording_stopped)
        self.recorder.failed.connect(self._recording_failed)
        self.clock = QTimer(self)
        self.clock.setInterval(500)
        self.clock.timeout.connect(lambda: self.record_bar.show_elapsed(self.recorder.seconds))

    def toggle_recording(self) -> None:
        if self.session_factory is None or self.recorder.busy:
            return
        if self.recorder.recording:
            self.stop_recording()
        else:
            self.start_recording()

    def start_recording(self) -> None:
        """Record into a new meeting; a never-recorded meeting on screen becomes the recording.

        That meeting keeps its id, so its title, attendees and notes (saved, waiting to be
        saved, or typed while the recording starts) all stay with it: nothing is copied over.
        """
        self.autosaver.flush()
        meeting = self.view.on_screen()
        fresh = (
            meeting is not None
            and self.showing(meeting.id)
            and not self.view.transcript.segments
            and self.view.enhanced is None
            and not meeting.audio_path
            and meeting.status != "recording"
            and meeting.id != self.deleting_meeting
        )
        self.record_bar.set_recording(False, busy="Starting…")
        if fresh:
            self.recorder.start(meeting.title, meeting.notes, meeting.id)
        else:
            self.recorder.start(f"Meeting {datetime.now():%H:%M}", "")

    def stop_recording(self) -> None:
        self.autosaver.flush()
        self.record_bar.set_recording(True, busy="Finishing transcript…")
        self.recorder.stop()

    def _recording_started(self, meeting_id: int) -> None:
        self.refresh_meetings(select=meeting_id)
        if self.showing(meeting_id):
            self.reload_meeting(meeting_id)  # now "recording"; what was typed stays on screen
        else:
            self.open_meeting(meeting_id)
        self.record_bar.set_recording(True)
        self.record_bar.set_channels(self.recorder.session.channels)
        self._sync_delete_action()
        self.clock.start()
        if self.tray is not None:
            self.tray.set_recording(True)
        self.view.editor.setFocus()

    def _recording_stopped(self, meeting) -> None:
        self._recording_ended()
        self.refresh_meetings(select=meeting.id)
        if self.showing(meeting.id):
            # The transcript was renumbered on stop; notes typed while it finished stay.
            self.reload_meeting(meeting.id)
        else:
            self.open_meeting(meeting.id)
        if self.recorder.close_when_stopped:
            self.close()
            return
        if self.settings.enhance.auto_after_stop and enhancing.available():
            self.enhance(self.view.template.currentText())

    def _recording_failed(self, err: NotesAppError) -> None:
        self._recording_ended()
        self.refresh_meetings()
        self.show_error(err)

    def _recording_ended(self) -> None:
        self._sync_delete_action()
        self.clock.stop()
        self.record_bar.set_recording(False)
        if self.tray is not None:
            self.tray.set_recording(False)

    def _on_segment(self, seg) -> None:
        if self.current_id() == self.recorder.meeting_id:
            self.view.add_segment(seg)

    def _on_tentative(self, channel: int, text: str) -> None:
        if self.current_id() == self.recorder.meeting_id:
            self.view.transcript_panel.view.set_tentative(channel, text)

    # --- first run ----------------------------------------------------------------------------

    def offer_welcome(self, **checks) -> bool:
        """Show the first-run welcome unless it was shown before; True if it is shown now."""
        from notes_app.gui.welcome import WelcomeDialog, should_welcome

        if not should_welcome(self.settings):
            return False
        self.welcome = WelcomeDialog(self.settings, self, **checks)
        self.welcome.settings_requested.connect(self.open_settings)
        self.welcome.open()
        return True

    # --- meeting detection --------------------------------------------------------------------

    def _make_detection(self, factory, interval_ms: int):
        """Watch for calls when detection is on and recording is possible."""
        if self.session_factory is None or not _has_module("notes_app.audio.detect"):
            return None
        from notes_app.gui.detection import DetectionWatcher, default_detector

        watcher = DetectionWatcher(factory or default_detector, interval_ms, self)
        watcher.started.connect(self._call_started)
        watcher.ended.connect(self._call_ended)
        if self.settings.detect.enabled:
            watcher.start()
        return watcher

    def update_detection(self) -> None:
        """Follow the setting after Settings was saved."""
        if self.detection is None:
            return
        if self.settings.detect.enabled and not self.detection.active:
            self.detection.start()
        elif not self.settings.detect.enabled:
            self.detection.stop()

    def _call_started(self, app_name: str) -> None:
        if self.recorder.recording or self.recorder.busy:
            return
        self._ask(
            f"{app_name} is using your microphone — take notes?",
            "Start recording",
            "Not now",
            lambda yes: yes and not self.recorder.recording and self.start_recording(),
        )
        if self.tray is not None:
            self.tray.showMessage("Notes", f"{app_name} is using your microphone — take notes?")

    def _call_ended(self, app_name: str) -> None:
        if not self.recorder.recording:
            if self.prompt is not None:  # the call is over: the question is moot
                self.prompt.close()
            return
        self._ask(
            f"The call in {app_name} seems to have ended. Stop recording?",
            "Stop recording",
            "Keep recording",
            lambda yes: yes and self.recorder.recording and self.stop_recording(),
        )

    def _ask(self, text: str, yes: str, no: str, then) -> None:
        from notes_app.gui.detection import MeetingPrompt

        if self.prompt is not None:
            self.prompt.close()
        self.prompt = MeetingPrompt(self, text, yes, no)
        self.prompt.answered.connect(then)
        self.prompt.finished.connect(lambda _r, p=self.prompt: self._prompt_closed(p))
        self.prompt.show()

    def _prompt_closed(self, prompt) -> None:
        if self.prompt is prompt:
            self.prompt = None
        prompt.deleteLater()

    # --- recovery -----------------------------------------------------------------------------

    def offer_recovery(self) -> None:
        """Offer to finish meetings a crash left "recording" (called once the window shows)."""
        try:
            from notes_app.recover import unfinished
        except ImportError:
            return
        stranded = unfinished(self.app.repo)
        if not stranded or not self.ask_recover([m.title for m in stranded]):
            return
        from notes_app.gui.recovery import recover_all

        self.record_bar.set_recording(False, busy="Recovering…")
        start_job(
            recover_all(self.settings, [m.id for m in stranded]),
            on_done=self._recovered,
            on_fail=self._recovery_failed,
            owner=self,
        )

    def ask_recover(self, titles: list[str]) -> bool:
        names = ", ".join(f"“{t}”" for t in titles)
        answer = QMessageBox.question(
            self,
            "Notes",
            f"The app closed while recording {names}. Recover it now? Its notes and transcript "
            "so far are kept, and the rest of the audio is transcribed.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _recovered(self, meetings: list) -> None:
        self.record_bar.set_recording(False)
        self.refresh_meetings()
        if meetings:
            self.view.meeting = None
            self.open_meeting(meetings[-1].id)

    def _recovery_failed(self, err: NotesAppError) -> None:
        self.record_bar.set_recording(False)
        self.show_error(err)

    # --- errors and closing -------------------------------------------------------------------

    def show_error(self, err: NotesAppError) -> None:
        """One dialog per error; window-modal but not blocking, so work carries on behind it."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Notes", str(err), parent=self)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.finished.connect(lambda _r, box=box: self._forget_box(box))
        self.error_boxes.append(box)
        box.open()

    def _forget_box(self, box: QMessageBox) -> None:
        if box in self.error_boxes:
            self.error_boxes.remove(box)
        box.deleteLater()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self.before_close():
            event.ignore()
            return
        self.shut_down()
        event.accept()

    def shut_down(self) -> None:
        """Stop watching, playing and recording; write what is pending and end the DB threads.

        Runs when the window closes and again when the app exits (the tray's Quit, a session
        ending), so each step may find its work already done.
        """
        if self.detection is not None:
            self.detection.stop()
        if self._player is not None:
            self._player.stop()
        self.clock.stop()
        self.search_timer.stop()
        if self.recorder.session is not None and not self.recorder.busy:
            # Quit without the window asking first (e.g. the desktop session ends): the
            # recording is finished here, so its audio and transcript are complete.
            self.recorder.stop_now()
        self.autosaver.flush_and_wait()
        self.writer.close()
        self.reader.close()

    def before_close(self) -> bool:
        """Closing while recording asks first; on "stop" the window closes once it stopped."""
        if not self.recorder.recording and not self.recorder.busy:
            return True
        if self.recorder.busy:
            self.recorder.close_when_stopped = True
            return False
        if not self.ask_stop_recording():
            return False
        self.recorder.close_when_stopped = True
        self.stop_recording()
        return False

    def ask_stop_recording(self) -> bool:
        answer = QMessageBox.question(
            self,
            "Notes",
            "A meeting is being recorded. Stop the recording and close? Everything so far is kept.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes
