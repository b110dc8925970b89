"""Recording from the window: the record bar and live transcript, driven by a MeetingSession.

The session calls back on its own threads (capture pump, transcriber). ``SessionBridge`` emits
signals from there; Qt queues them to the GUI thread, where the widgets are touched. Starting
(model load, opening devices) and stopping (draining the transcript) run as worker jobs.
A recording started within 10 minutes of a calendar event (or for the event the call prompt
named) takes its title and attendees (App.name_from_calendar, on a worker job); the session
reads them back before each utterance, so the names join the recogniser's vocabulary.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox

from notes_app.config import Settings
from notes_app.errors import NotesAppError
from notes_app.events import SessionListener
from notes_app.gui.workers import start_job


class SessionBridge(QObject, SessionListener):
    """The session's listener: each report becomes a signal, queued to the GUI thread."""

    segment = Signal(object)  # Segment
    tentative = Signal(int, str)
    level = Signal(int, float)
    backlog = Signal(float)
    catching_up = Signal(bool)
    error = Signal(object)  # NotesAppError

    def on_segment(self, segment) -> None:
        self.segment.emit(segment)

    def on_tentative(self, channel: int, text: str) -> None:
        self.tentative.emit(channel, text)

    def on_level(self, channel: int, rms: float) -> None:
        self.level.emit(channel, rms)

    def on_backlog(self, seconds: float) -> None:
        self.backlog.emit(seconds)

    def on_catching_up(self, behind: bool) -> None:
        self.catching_up.emit(behind)

    def on_error(self, error) -> None:
        self.error.emit(error)

    def on_warning(self, message: str) -> None:
        self.error.emit(NotesAppError(message))


SessionFactory = Callable[[Settings, SessionBridge], object]


def build_session(settings: Settings, listener: SessionListener):
    """A session on the chosen devices with the chosen Whisper model (``App.record_session``).

    Runs on a worker thread: listing devices and loading the model take a moment; the session
    keeps a database connection of that thread's own.
    """
    from notes_app.app import App

    return App(settings).record_session(listener)


class Recorder(QObject):
    """One recording at a time: start and stop run as worker jobs, results come as signals."""

    started = Signal(int)  # the meeting id
    stopped = Signal(object)  # the finished Meeting
    failed = Signal(object)  # NotesAppError from starting or stopping

    def __init__(
        self, settings: Settings, factory: SessionFactory, bridge: SessionBridge, parent=None
    ):
        super().__init__(parent)
        self.settings = settings
        self.factory = factory
        self.bridge = bridge
        self.session = None
        self.busy = False  # starting or stopping
        self.close_when_stopped = False

    @property
    def recording(self) -> bool:
        return self.session is not None

    @property
    def seconds(self) -> float:
        return float(self.session.seconds) if self.session is not None else 0.0

    @property
    def meeting_id(self) -> int | None:
        return self.session.meeting_id if self.session is not None else None

    def start(self, title: str, notes: str, meeting_id: int | None = None) -> None:
        """Record into a new meeting, or into ``meeting_id`` (a meeting not yet recorded)."""
        if self.busy or self.session is not None:
            return
        self.busy = True

        def open_and_start(_progress):
            session = self.factory(self.settings, self.bridge)
            session.start(title, notes, meeting_id=meeting_id)
            return session

        start_job(open_and_start, on_done=self._started, on_fail=self._failed, owner=self)

    def stop(self) -> None:
        if self.busy or self.session is None:
            return
        self.busy = True
        session = self.session
        start_job(
            lambda _progress: session.stop(on_drain=self.bridge.backlog.emit),
            on_done=self._stopped,
            on_fail=self._failed,
            owner=self,
        )

    def stop_now(self) -> None:
        """Stop on the calling thread: the app is exiting and nothing is left to show it."""
        session, self.session = self.session, None
        if session is None:
            return
        try:
            session.stop()
        except NotesAppError as e:
            # No window to show it in: say it on stderr. The meeting stays "recording" and is
            # offered for recovery at the next launch, so nothing recorded is lost.
            print(f"notes-app: {e}", file=sys.stderr)

    def _started(self, session) -> None:
        self.busy = False
        self.session = session
        self.started.emit(session.meeting_id)

    def _stopped(self, meeting) -> None:
        self.busy = False
        self.session = None
        self.stopped.emit(meeting)

    def _failed(self, err: NotesAppError) -> None:
        # A stop that failed half-way leaves a "recording" meeting that recovery can finish;
        # the session itself is over either way.
        self.busy = False
        self.session = None
        self.failed.emit(err)


UNTITLED = ("", "Untitled", "Untitled meeting")  # a title the user did not choose


class Recording(QObject):
    """The window's recording section: the record bar, the live transcript, start and stop."""

    named = Signal(object)  # the CalendarEvent a recording took its title and attendees from

    def __init__(self, win, factory: SessionFactory):
        super().__init__(win)
        self.win = win
        self.calendar_event = None  # the calendar event the user said to take notes of, if any
        self.titled = False  # the meeting recorded has a title the user chose
        self.bridge = SessionBridge(self)
        self.recorder = Recorder(win.settings, factory, self.bridge, self)
        self.bridge.segment.connect(self._on_segment)
        self.bridge.tentative.connect(self._on_tentative)
        self.bridge.level.connect(
            lambda ch, rms: win.record_bar.show_level(ch, rms, self.recorder.seconds)
        )
        self.bridge.backlog.connect(win.record_bar.show_backlog)
        self.bridge.catching_up.connect(win.record_bar.show_catching_up)
        self.bridge.error.connect(win.show_error)
        self.recorder.started.connect(self._started)
        self.recorder.stopped.connect(self._stopped)
        self.recorder.failed.connect(self._failed)
        self.clock = QTimer(self)
        self.clock.setInterval(500)
        self.clock.timeout.connect(lambda: win.record_bar.show_elapsed(self.recorder.seconds))

    def toggle(self) -> None:
        if self.recorder.busy:
            return
        if self.recorder.recording:
            self.stop()
        else:
            self.start()

    def start(self, event=None) -> None:
        """Record into a new meeting; a never-recorded meeting on screen becomes the recording.

        That meeting keeps its id, so its title, attendees and notes (saved, waiting to be
        saved, or typed while the recording starts) all stay with it: nothing is copied over.
        ``event``: the calendar event to name it from (else one within 10 minutes, if any).
        """
        win = self.win
        win.autosaver.flush()
        meeting = win.view.on_screen()
        fresh = (
            meeting is not None
            and win.showing(meeting.id)
            and not win.view.transcript.segments
            and win.view.enhanced is None
            and not meeting.audio_path
            and meeting.status != "recording"
            and meeting.id != win.deleting.meeting_id
        )
        win.record_bar.set_recording(False, busy="Starting…")
        self.calendar_event = event
        self.titled = fresh and meeting.title not in UNTITLED
        if fresh:
            self.recorder.start(meeting.title, meeting.notes, meeting.id)
        else:
            self.recorder.start(f"Meeting {datetime.now():%H:%M}", "")

    def stop(self) -> None:
        self.win.autosaver.flush()
        self.win.record_bar.set_recording(True, busy="Finishing transcript…")
        self.recorder.stop()

    def _started(self, meeting_id: int) -> None:
        win = self.win
        win.refresh_meetings(select=meeting_id)
        if win.showing(meeting_id):
            win.reload_meeting(meeting_id)  # now "recording"; what was typed stays on screen
        else:
            win.open_meeting(meeting_id)
        win.record_bar.set_recording(True)
        win.record_bar.set_channels(self.recorder.session.channels if self.recorder.session else [])
        win.deleting.sync()
        self.clock.start()
        if win.tray is not None:
            win.tray.set_recording(True)
        win.view.editor.setFocus()
        self._name_from_calendar(meeting_id)

    def _name_from_calendar(self, meeting_id: int) -> None:
        """The calendar event now (or the one the prompt named) gives the recording its title,
        unless the user chose one, and attendees: on a worker job, which reads the calendars."""
        app, event, keep_title = self.win.app, self.calendar_event, self.titled
        self.calendar_event = None
        shown = self.win.view.on_screen() if self.win.showing(meeting_id) else None

        def run(_progress):
            if event is None:
                return app.name_from_calendar(meeting_id, keep_title=keep_title)
            with app.on_this_thread() as own:
                own.name_from_event(meeting_id, event, keep_title=keep_title)
            return event

        def failed(err: NotesAppError) -> None:  # the recording goes on, unnamed
            logging.getLogger(__name__).warning("Not named from the calendar: %s", err)

        start_job(
            run,
            on_done=lambda found: self._named(meeting_id, found, shown),
            on_fail=failed,
            owner=self,
        )

    def _named(self, meeting_id: int, event, before) -> None:
        """Show the name the calendar gave, where the user has not typed over it since."""
        if event is None:  # no event near the start
            return
        win = self.win
        win.refresh_meetings()
        if before is not None and win.showing(meeting_id):
            stored = win.app.repo.get_meeting(meeting_id)
            now = win.view.on_screen()
            if now is not None and now.title == before.title:
                win.view.title.setText(stored.title)
            if now is not None and now.attendees == before.attendees:
                win.view.attendees.setText(", ".join(stored.attendees))
            win.reload_meeting(meeting_id)
            who = f" with {', '.join(event.attendees)}" if event.attendees else ""
            win.view.show_notice(f"From your calendar: “{event.title}”{who}.", 8000)
        self.named.emit(event)

    def _stopped(self, meeting) -> None:
        win = self.win
        self._ended()
        win.refresh_meetings(select=meeting.id)
        if win.showing(meeting.id):
            # The transcript was renumbered on stop; notes typed while it finished stay.
            win.reload_meeting(meeting.id)
        else:
            win.open_meeting(meeting.id)
        if self.recorder.close_when_stopped:
            win.close()
            return
        if meeting.audio_path:
            self._final_pass(meeting.id)
        else:
            self._after_transcript()

    def _after_transcript(self) -> None:
        win = self.win
        if win.settings.enhance.auto_after_stop:
            win.enhancing.start(win.view.template.current_name())

    def _final_pass(self, meeting_id: int) -> None:
        """The whole recording transcribed again on a worker job (App.finalize_recording), its
        progress on the record bar; failed, the live transcript stays and the error is shown."""
        import threading

        from notes_app.app import App
        from notes_app.transcribe.final_pass import FinalPassCancelled

        bar = self.win.record_bar
        bar.set_recording(False, busy="Final pass…", skippable=True)
        stop = threading.Event()

        def skip() -> None:
            stop.set()
            bar.set_recording(False, busy="Skipping…")

        bar.skip_clicked.connect(skip)

        def run(progress):
            with App(self.win.settings).on_this_thread() as app:
                return app.finalize_recording(
                    meeting_id,
                    on_progress=lambda d, t: progress((d, t)),
                    cancel=stop.is_set,
                    on_notice=lambda text: progress(("notice", text)),
                )

        def shown(done_total) -> None:
            done, total = done_total
            if done == "notice":  # the transcription server failed: this computer does it
                self.win.view.show_notice(total, 12000)
                return
            if total and not stop.is_set():
                percent = int(100 * done / total)
                bar.set_recording(False, busy=f"Final pass {percent}%", skippable=True)

        def finished(_transcript=None) -> None:
            bar.skip_clicked.disconnect(skip)
            bar.set_recording(False)
            if self.win.showing(meeting_id):
                self.win.reload_meeting(meeting_id)
            self._after_transcript()

        def failed(err: NotesAppError) -> None:
            if isinstance(err, FinalPassCancelled):
                self.win.view.show_notice("Final pass skipped: the live transcript is kept.", 6000)
            else:
                self.win.show_error(err)
            finished()

        start_job(run, on_done=finished, on_fail=failed, on_progress=shown, owner=self)

    def _failed(self, err: NotesAppError) -> None:
        self._ended()
        self.win.refresh_meetings()
        self.win.show_error(err)

    def _ended(self) -> None:
        self.win.deleting.sync()
        self.clock.stop()
        self.win.record_bar.set_recording(False)
        if self.win.tray is not None:
            self.win.tray.set_recording(False)

    def before_close(self) -> bool:
        """Closing while recording asks first; on "stop" the window closes once it stopped."""
        recorder = self.recorder
        if not recorder.recording and not recorder.busy:
            return True
        if recorder.busy:
            recorder.close_when_stopped = True
            return False
        if not self.win.ask_stop_recording():
            return False
        recorder.close_when_stopped = True
        self.stop()
        return False

    def _on_segment(self, seg) -> None:
        if self.win.current_id() == self.recorder.meeting_id:
            self.win.view.add_segment(seg)

    def _on_tentative(self, channel: int, text: str) -> None:
        if self.win.current_id() == self.recorder.meeting_id:
            self.win.view.transcript_panel.view.set_tentative(channel, text)


def ask_stop_recording(parent) -> bool:
    answer = QMessageBox.question(
        parent,
        "Notes",
        "A meeting is being recorded. Stop the recording and close? Everything so far is kept.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes
