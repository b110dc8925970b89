"""Recording from the window: MeetingSession's plain callbacks turned into Qt signals.

The session calls back on its own threads (capture pump, transcriber). ``SessionBridge`` emits
signals from there; Qt queues them to the GUI thread, where the widgets are touched. Starting
(model load, opening devices) and stopping (draining the transcript) run as worker jobs.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from notes_app.config import Settings
from notes_app.domain import CHANNEL_ME, CHANNEL_THEM
from notes_app.errors import NotesAppError
from notes_app.gui.workers import start_job
from notes_app.session import SessionListener


def available() -> bool:
    try:
        importlib.import_module("notes_app.session")
    except ImportError:
        return False
    return True


class SessionBridge(QObject, SessionListener):
    """The session's listener: each report becomes a signal, queued to the GUI thread."""

    segment = Signal(object)  # Segment
    tentative = Signal(int, str)
    level = Signal(int, float)
    backlog = Signal(float)
    error = Signal(object)  # NotesAppError

    def on_segment(self, segment) -> None:
        self.segment.emit(segment)

    def on_tentative(self, channel: int, text: str) -> None:
        self.tentative.emit(channel, text)

    def on_level(self, channel: int, rms: float) -> None:
        self.level.emit(channel, rms)

    def on_backlog(self, seconds: float) -> None:
        self.backlog.emit(seconds)

    def on_error(self, error) -> None:
        self.error.emit(error)

    def on_warning(self, message: str) -> None:
        self.error.emit(NotesAppError(message))


SessionFactory = Callable[[Settings, SessionBridge], object]


def build_session(settings: Settings, bridge: SessionBridge):
    """A MeetingSession from the settings: the chosen devices, the chosen Whisper model.

    Runs on a worker thread: listing devices and loading the model take a moment.
    """
    import sounddevice

    from notes_app.audio.capture import Capture
    from notes_app.audio.devices import finder_for_platform
    from notes_app.session import MeetingSession
    from notes_app.store.repo import Repo
    from notes_app.transcribe.engine import WhisperEngine
    from notes_app.transcribe.models import default_project_dir, resolve_model

    choice = finder_for_platform(sounddevice).choose(
        settings.audio.mic_device, settings.audio.system_device
    )
    for problem in choice.problems:
        bridge.error.emit(NotesAppError(problem))
    model = resolve_model(
        settings.transcribe.model,
        project_dir=default_project_dir(),
        home_models_dir=settings.models_dir,
    )
    engine = WhisperEngine(
        model, settings.transcribe.compute_type, settings.transcribe.threads
    ).load()
    capture = Capture(sounddevice, {CHANNEL_ME: choice.mic, CHANNEL_THEM: choice.system})
    language = settings.transcribe.language
    return MeetingSession(
        Repo.open(settings.db_path),
        engine,
        capture,
        audio_dir=settings.audio_dir,
        language=None if language in ("", "auto") else language,
        keep_audio=settings.audio.keep_audio,
        listener=bridge,
    )


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
