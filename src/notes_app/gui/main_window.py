"""The main window: the sidebar of meetings beside one meeting, wired to the use-case layer.

Reads (a meeting, its transcript, the meeting list) are small indexed queries on a local WAL
database and run on the GUI thread; every write goes through the DbWriter thread, and every
slow step (enhancement, capture, HTTP) through a worker job calling ``App``. Enhancing,
recording, deleting, call detection, recovery, search and Ask, sharing and exporting, playback,
the layout's columns and the menu bar are sections of their own (gui/enhancing.py, recording.py,
deleting.py, detection.py, recovery.py, searching.py, sharing.py, playing.py, columns.py,
menus.py); the window builds and connects them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QResizeEvent
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
from notes_app.gui.columns import MIN_WIDTH, Columns
from notes_app.gui.deleting import Deleting
from notes_app.gui.detection import Detecting
from notes_app.gui.editor import Autosaver
from notes_app.gui.enhancing import Enhancing
from notes_app.gui.folders import Folders
from notes_app.gui.meeting_view import MeetingView, empty_page
from notes_app.gui.menus import Menus
from notes_app.gui.playing import Playing
from notes_app.gui.record_bar import RecordBar
from notes_app.gui.recording import Recording, SessionFactory, ask_stop_recording, build_session
from notes_app.gui.recovery import Recovery, ask_recover
from notes_app.gui.searching import Searching
from notes_app.gui.sharing import Sharing
from notes_app.gui.sidebar import Sidebar
from notes_app.gui.store_health import StoreHealth
from notes_app.gui.tray import make_tray
from notes_app.gui.upcoming import Upcoming
from notes_app.gui.workers import DbWriter

if TYPE_CHECKING:
    from notes_app.gui.overview import OverviewPage


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
        store_retry_ms: int = 5000,
    ):
        super().__init__()
        self.app = app
        self.settings = app.settings
        self.writer = DbWriter(self.settings.db_path)
        # Searches and counts run on a thread of their own: a long one never delays a save.
        self.reader = DbWriter(self.settings.db_path)
        self.autosaver = Autosaver(self.writer, autosave_ms, self)
        self.autosaver.saved.connect(self._on_saved)
        self.error_boxes: list[QMessageBox] = []
        self.setWindowTitle("Notes")
        self.setWindowIcon(theme.app_icon())
        self.setMinimumSize(MIN_WIDTH, 480)
        self.resize(1180, 760)
        self.enhancing = Enhancing(self)
        self.deleting = Deleting(self)
        self.sharing = Sharing(self)
        self.playing = Playing(self, audio_output)
        self._build()
        self.folders = Folders(self)  # the list by folder; moves by drag and drop
        self.upcoming = Upcoming(self)  # the calendars' next events, read in the background
        self.store_health = StoreHealth(self, store_retry_ms)  # a banner when saving fails
        self.columns = Columns(self)
        self.searching = Searching(self, search_delay_ms)
        self.recording = Recording(self, session_factory)
        self.recorder = self.recording.recorder
        # A recording opens the transcript, also where it is folded (a narrow window).
        self.recorder.started.connect(lambda _mid: self.view.transcript_panel.set_expanded(True))
        self.menus = Menus(self)
        self.tray = make_tray(self) if tray else None
        self.detecting = Detecting(self, detector_factory, detect_interval_ms)
        self.detection = self.detecting.watcher
        self.recovery = Recovery(self)
        self.refresh_meetings()
        self.open_latest()
        self.store_health.check()

    # --- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.sidebar = Sidebar()
        self.sidebar.meeting_selected.connect(lambda mid: self.open_meeting(mid, reveal=False))
        self.sidebar.meeting_chosen.connect(lambda _mid: self.columns.show_meeting())
        self.sidebar.new_meeting_requested.connect(self.new_meeting)
        self.sidebar.settings_requested.connect(self.open_settings)
        self.sidebar.overview_requested.connect(self.open_overview)
        self.sidebar.delete_requested.connect(self.request_delete)
        self.sidebar.delete_blocker = self.deleting.blocker
        self.view = MeetingView(self.app.templates())
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
        self.view.enhance_requested.connect(self.enhancing.start)
        self.view.enhanced_edit_saved.connect(self.enhancing.save_edit)
        self.view.play_requested.connect(self.playing.play_from)
        self.view.share_requested.connect(self.sharing.share)
        self.view.export_requested.connect(self.sharing.export)
        self.view.delete_requested.connect(self.request_delete)
        self.view.more_menu_opening.connect(self.deleting.sync)
        self.view.failed.connect(self.show_error)
        self.view.can_share = True
        self.pages = QStackedWidget()
        self.pages.addWidget(empty_page(self.new_meeting))
        self.pages.addWidget(self.view)
        self._overview: OverviewPage | None = None  # built when first opened
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

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.columns.fit(event.size().width())

    # --- meetings -----------------------------------------------------------------------------

    def refresh_meetings(self, select: int | None = None) -> None:
        self.sidebar.show_pages(self.folders.source, select=select)

    def open_latest(self) -> None:
        """At launch: the latest meeting, where the user left off (no meetings: the welcome)."""
        latest = self.app.repo.meeting_headers(0, 1)  # also when it is in a closed folder
        if latest:
            self.open_meeting(latest[0].id)

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
        self.view.focus_notes()  # ready to type; the title can wait

    def open_meeting(self, meeting_id: int, *, reveal: bool = True) -> None:
        """Show a meeting (``reveal``: also on a one-column window showing the list)."""
        if reveal:
            self.columns.show_meeting()
        if self.view.meeting is not None and self.view.meeting.id == meeting_id:
            if self.pages.currentWidget() is self.view:
                return
        self.autosaver.flush()  # the previous meeting's last keystrokes go out first
        loaded = self._read_meeting(meeting_id)
        if loaded is None:
            return
        self.stop_playing()  # the clip belongs to the meeting being left
        self.view.show_meeting(*loaded)
        if self.columns.single:  # folded until a recording or a citation opens it
            self.view.transcript_panel.set_expanded(self.recorder.meeting_id == meeting_id)
        self.view.set_busy(self.enhancing.meeting_id == meeting_id)
        self.deleting.sync()
        if self.enhancing.meeting_id == meeting_id and self.enhancing.streamed:
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
        self.view.set_busy(self.enhancing.meeting_id == meeting_id)

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

    @property
    def overview(self) -> OverviewPage:
        """The overview page, built the first time it is asked for (most starts never show it:
        its charts and cards are a fifth of the window's widgets)."""
        if self._overview is None:
            from notes_app.gui.overview import OverviewPage

            self._overview = OverviewPage()
            self._overview.new_meeting_requested.connect(self.new_meeting)
            self.pages.addWidget(self._overview)
        return self._overview

    def open_overview(self) -> None:
        """The overview page; its figures are counted afresh on the reader thread."""
        from notes_app.gui.overview import load_stats

        self.autosaver.flush()  # notes typed a moment ago count too
        self.overview.show_loading()
        self.columns.show_meeting()
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

    # --- search and ask (gui/searching.py) ----------------------------------------------------

    @property
    def ask_panel(self):
        return self.searching.ask_panel

    def run_search(self) -> None:
        self.searching.run()

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

    def toggle_recording(self) -> None:
        self.recording.toggle()

    def request_delete(self, meeting_id: int | None) -> None:
        self.deleting.request(meeting_id)

    def stop_playing(self) -> None:
        self.playing.stop()

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
        self.searching.timer.stop()
        if self.recorder.session is not None and not self.recorder.busy:
            # Quit without the window asking first (e.g. the desktop session ends): the
            # recording is finished here, so its audio and transcript are complete.
            self.recorder.stop_now()
        self.autosaver.flush_and_wait()
        self.writer.close()
        self.reader.close()

    def before_close(self) -> bool:
        """Closing while recording asks first; on "stop" the window closes once it stopped."""
        return self.recording.before_close() and self.store_health.before_close()

    def ask_stop_recording(self) -> bool:
        return ask_stop_recording(self)
