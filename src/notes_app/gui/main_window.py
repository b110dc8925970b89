"""The main window: the sidebar of meetings beside one meeting, wired to the use-case layer.

Reads (a meeting, its transcript, the meeting list) are small indexed queries on a local WAL
database and run on the GUI thread; every write goes through the DbWriter thread, and every
slow step (enhancement, capture, HTTP) through a worker job calling ``App``. Enhancing,
recording, deleting, call detection and recovery are sections of their own (gui/enhancing.py,
recording.py, deleting.py, detection.py, recovery.py); the window builds and connects them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QCloseEvent, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from notes_app.app import App
from notes_app.errors import NotesAppError
from notes_app.gui import theme
from notes_app.gui.deleting import Deleting
from notes_app.gui.detection import Detecting
from notes_app.gui.editor import Autosaver
from notes_app.gui.enhancing import Enhancing
from notes_app.gui.meeting_view import MeetingView, ask_export_path, empty_page
from notes_app.gui.overview import OverviewPage, load_stats
from notes_app.gui.record_bar import RecordBar
from notes_app.gui.recording import Recording, SessionFactory, ask_stop_recording, build_session
from notes_app.gui.recovery import Recovery, ask_recover
from notes_app.gui.sidebar import Sidebar
from notes_app.gui.workers import DbWriter, start_job
from notes_app.logs import log_dir
from notes_app.store.search import search


class MainWindow(QMainWindow):
    def __init__(
        self,
        app: App,
        *,
        autosave_ms: int = 1000,
        search_delay_ms: int = 250,
        session_factory: SessionFactory = build_session,
        tray: bool = True,
        detector_factory=None,
        detect_interval_ms: int = 3000,
        audio_output=None,
    ):
        super().__init__()
        self.app = app
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
        self.error_boxes: list[QMessageBox] = []
        self.setWindowTitle("Notes")
        self.setWindowIcon(theme.app_icon())
        self.resize(1180, 760)
        self.enhancing = Enhancing(self)
        self.deleting = Deleting(self)
        self._build()
        self.recording = Recording(self, session_factory)
        self.recorder = self.recording.recorder
        self._shortcuts()
        self._menus()
        self.tray = self._make_tray() if tray else None
        self.detecting = Detecting(self, detector_factory, detect_interval_ms)
        self.detection = self.detecting.watcher
        self.recovery = Recovery(self)
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
        self.sidebar.delete_blocker = self.deleting.blocker
        self.view = MeetingView([t.name for t in self.app.templates()])
        self.view.notes_edited.connect(
            lambda text: self._edited("notes", lambda repo, mid: repo.set_notes(mid, text))
        )
        self.view.title_edited.connect(
            lambda t: self._edited("title", lambda repo, mid: repo.update_meeting(mid, title=t))
        )
        self.view.attendees_edited.connect(
            lambda names: self._edited(
                "attendees", lambda repo, mid: repo.update_meeting(mid, attendees=names)
            )
        )
        self.view.enhance_requested.connect(self.enhance)
        self.view.enhanced_edit_saved.connect(self.enhancing.save_edit)
        self.view.play_requested.connect(self.play_from)
        self.view.share_requested.connect(self.open_share)
        self.view.export_requested.connect(self.export)
        self.view.delete_requested.connect(self.request_delete)
        self.view.more_menu_opening.connect(self.deleting.sync)
        self.view.failed.connect(self.show_error)
        self.view.can_share = True
        self.pages = QStackedWidget()
        self.pages.addWidget(empty_page(self.new_meeting))
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

    def _shortcuts(self) -> None:
        self.shortcuts = {
            "new": QShortcut(QKeySequence("Ctrl+N"), self, self.new_meeting),
            "search": QShortcut(QKeySequence("Ctrl+F"), self, self.focus_search),
            "enhance": QShortcut(QKeySequence("Ctrl+E"), self, self.enhancing.shortcut),
            "settings": QShortcut(QKeySequence("Ctrl+,"), self, self.open_settings),
            "record": QShortcut(QKeySequence("Ctrl+R"), self, self.toggle_recording),
            # Only while the meeting list has focus: Delete in the notes deletes text.
            "delete": QShortcut(
                QKeySequence(Qt.Key.Key_Delete),
                self.sidebar.tree,
                lambda: self.request_delete(self.sidebar.current_id()),
                context=Qt.ShortcutContext.WidgetShortcut,
            ),
        }

    def _menus(self) -> None:
        help_menu = self.menuBar().addMenu("&Help")
        self.log_folder_action = help_menu.addAction("Open log folder")
        self.log_folder_action.triggered.connect(self.open_log_folder)

    def open_log_folder(self) -> bool:
        """Show the folder of the app's log files (what to attach to a bug report)."""
        folder = log_dir(self.settings.home)
        folder.mkdir(parents=True, exist_ok=True)
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def _make_tray(self):
        from PySide6.QtWidgets import QSystemTrayIcon

        from notes_app.gui.tray import Tray

        if not QSystemTrayIcon.isSystemTrayAvailable():
            return None
        tray = Tray(self, can_record=True)
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
        self.stop_playing()  # the clip belongs to the meeting being left
        self.view.show_meeting(*loaded)
        self.view.set_busy(self.enhancing_meeting == meeting_id)
        self.deleting.sync()
        if self.enhancing_meeting == meeting_id and self.enhancing.streamed:
            self.view.show_streaming(self.enhancing.streamed)
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
            self.stop_playing()
            return
        from pathlib import Path

        self.player.play(Path(meeting.audio_path), seg.start)

    def stop_playing(self) -> None:
        if self._player is not None:
            self._player.stop()

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
        return ask_export_path(self, title)

    # --- autosave -----------------------------------------------------------------------------

    def _edited(self, field: str, write) -> None:
        """An edit of the meeting on screen, saved once typing pauses: ``write(repo, id)``."""
        mid = self.current_id()
        if mid is not None:
            self.autosaver.changed((mid, field), lambda repo: write(repo, mid))

    def _on_saved(self, key) -> None:
        _mid, field = key
        if field == "title":
            self.refresh_meetings()

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

    # --- the sections: enhancing, recording, deleting, detection, recovery --------------------

    @property
    def enhancing_meeting(self) -> int | None:
        return self.enhancing.meeting_id

    @property
    def deleting_meeting(self) -> int | None:
        return self.deleting.meeting_id

    @property
    def prompt(self):
        return self.detecting.prompt

    def enhance(self, template: str = "") -> None:
        self.enhancing.start(template)

    def toggle_recording(self) -> None:
        self.recording.toggle()

    def start_recording(self) -> None:
        self.recording.start()

    def stop_recording(self) -> None:
        self.recording.stop()

    def request_delete(self, meeting_id: int | None) -> None:
        self.deleting.request(meeting_id)

    def update_detection(self) -> None:
        self.detecting.update()

    def offer_recovery(self) -> None:
        """Offer to finish meetings a crash left "recording" (called once the window shows)."""
        self.recovery.offer()

    def ask_recover(self, titles: list[str]) -> bool:
        return ask_recover(self, titles)

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
        self.stop_playing()
        self.recording.clock.stop()
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
        return self.recording.before_close()

    def ask_stop_recording(self) -> bool:
        return ask_stop_recording(self)
