"""Meeting detection in the window: poll ``MeetingDetector`` off the GUI thread, prompt the user.

A call app taking the microphone becomes a question ("Zoom is using your microphone — take
notes?", or the calendar's event on now: "Acme pricing with Sarah — take notes?"); the call
ending while recording becomes "stop recording?". Nothing is recorded or
stopped unless the user says so. Each poll (which runs ``pactl`` or reads the registry) is a
worker job; a poll still running when the next tick comes is not doubled.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from notes_app.errors import NotesAppError
from notes_app.gui.workers import start_job

POLL_MS = 3000
RETRY_MS = 60_000  # after a failed poll (no sound server yet): try again, but rarely


def default_detector():
    from notes_app.audio.detect import MeetingDetector, mic_users_for_platform

    return MeetingDetector(mic_users_for_platform())


class DetectionWatcher(QObject):
    """Polls a detector (anything with ``poll() -> list[MeetingEvent]``) every few seconds."""

    started = Signal(str)  # the call app's name
    ended = Signal(str)

    def __init__(
        self, detector_factory: Callable[[], object], interval_ms: int = POLL_MS, parent=None
    ):
        super().__init__(parent)
        self.detector_factory = detector_factory
        self.detector = None
        self.polling = False
        self.interval_ms = interval_ms
        # Why detection is not working right now (shown in Settings), or None. A background
        # feature the user did not just ask for, so it is not a dialog popping up at launch.
        self.error: NotesAppError | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    @property
    def active(self) -> bool:
        return self.timer.isActive()

    def poll(self) -> None:
        if self.polling:
            return
        self.polling = True

        def run(_progress):
            if self.detector is None:
                self.detector = self.detector_factory()
            return self.detector.poll()

        start_job(run, on_done=self._polled, on_fail=self._failed, owner=self)

    def _polled(self, events) -> None:
        self.polling = False
        if self.error is not None:
            self.error = None
            self.timer.setInterval(self.interval_ms)
        for e in events:
            (self.started if e.kind == "started" else self.ended).emit(e.app)

    def _failed(self, err: NotesAppError) -> None:
        # No sound server (yet), no pactl: keep the reason, and look again now and then.
        self.polling = False
        self.error = err
        self.detector = None
        self.timer.setInterval(RETRY_MS)


class MeetingPrompt(QMessageBox):
    """A non-modal question with two answers; ``answered(True)`` only on the yes button."""

    answered = Signal(bool)

    def __init__(self, parent: QWidget, text: str, yes: str, no: str):
        super().__init__(QMessageBox.Icon.Question, "Notes", text, parent=parent)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.yes_button: QPushButton = self.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
        self.no_button: QPushButton = self.addButton(no, QMessageBox.ButtonRole.RejectRole)
        self.yes_button.setObjectName("Primary")
        self.setDefaultButton(self.no_button)
        self.setEscapeButton(self.no_button)
        self.buttonClicked.connect(lambda b: self.answered.emit(b is self.yes_button))


class Detecting(QObject):
    """The window's detection section: watch for calls when the setting says so, and ask."""

    def __init__(self, win, factory, interval_ms: int):
        super().__init__(win)
        self.win = win
        self.prompt: MeetingPrompt | None = None
        self.watcher = DetectionWatcher(factory or default_detector, interval_ms, self)
        self.watcher.started.connect(self._call_started)
        self.watcher.ended.connect(self._call_ended)
        self.update()

    def update(self) -> None:
        """Follow the setting (at start, and after Settings was saved)."""
        enabled = self.win.settings.detect.enabled
        if enabled and not self.watcher.active:
            self.watcher.start()
        elif not enabled:
            self.watcher.stop()

    def _call_started(self, app_name: str) -> None:
        recorder = self.win.recording.recorder
        if recorder.recording or recorder.busy:
            return
        upcoming = getattr(self.win, "upcoming", None)
        event = upcoming.event_now() if upcoming is not None else None  # no fetch: as last read
        using = f"{app_name} is using your microphone"
        question = f"{event.title} — take notes?" if event else f"{using} — take notes?"
        self._ask(
            question,
            "Start recording",
            "Not now",
            lambda yes: yes and not recorder.recording and self.win.recording.start(event=event),
        )
        if event is not None and self.prompt is not None:
            self.prompt.setInformativeText(f"{using}.")
        if self.win.tray is not None:
            self.win.tray.showMessage("Notes", question)

    def _call_ended(self, app_name: str) -> None:
        recorder = self.win.recording.recorder
        if not recorder.recording:
            if self.prompt is not None:  # the call is over: the question is moot
                self.prompt.close()
            return
        self._ask(
            f"The call in {app_name} seems to have ended. Stop recording?",
            "Stop recording",
            "Keep recording",
            lambda yes: yes and recorder.recording and self.win.recording.stop(),
        )

    def _ask(self, text: str, yes: str, no: str, then) -> None:
        if self.prompt is not None:
            self.prompt.close()
        self.prompt = MeetingPrompt(self.win, text, yes, no)
        self.prompt.answered.connect(then)
        self.prompt.finished.connect(lambda _r, p=self.prompt: self._prompt_closed(p))
        self.prompt.show()

    def _prompt_closed(self, prompt) -> None:
        if self.prompt is prompt:
            self.prompt = None
        prompt.deleteLater()
