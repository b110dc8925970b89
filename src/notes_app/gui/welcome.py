"""The first-run welcome: check the mic and the system audio, the Whisper model, and explain
offline enhancement vs an LLM. Shown once; a marker file in the data folder remembers it.

Everything it checks runs off the GUI thread: the level test on a worker job, the model load on
another, with a busy indicator until it answers, and a look for a model server already running
on this computer on a third.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from notes_app.config import Settings
from notes_app.domain import CHANNEL_ME, CHANNEL_THEM
from notes_app.errors import NotesAppError
from notes_app.gui import theme
from notes_app.gui.dialog_fit import fit, fit_soon, scrolling_body, show_status
from notes_app.gui.level_test import DeviceSource, LevelProbe, ProbeResult, real_devices
from notes_app.gui.record_bar import LevelMeter, rms_to_db
from notes_app.gui.workers import start_job

log = logging.getLogger(__name__)

MARKER = "welcome-done"


def marker_path(settings: Settings) -> Path:
    return Path(settings.home) / MARKER


def should_welcome(settings: Settings) -> bool:
    return not marker_path(settings).exists()


def load_model(settings: Settings) -> str:
    """Load the configured Whisper model the way a recording does; say which one loaded."""
    from notes_app.transcribe.engine import WhisperEngine
    from notes_app.transcribe.models import default_project_dir, resolve_model

    path = resolve_model(
        settings.transcribe.model,
        project_dir=default_project_dir(),
        home_models_dir=settings.models_dir,
    )
    WhisperEngine(path, settings.transcribe.compute_type, settings.transcribe.threads).load()
    return settings.transcribe.model


ModelLoader = Callable[[Settings], str]


def find_local() -> list:
    """Model servers running on this computer (``local_llm.LocalServer``)."""
    from notes_app.enhance.local_llm import find_local_servers

    return find_local_servers()


ServerFinder = Callable[[], list]


class LevelRow:
    """A label, a live meter and a status line for one side of the call."""

    def __init__(self, grid: QGridLayout, row: int, title: str, color: str):
        self.title = QLabel(title)
        self.meter = LevelMeter(color)
        self.meter.setMinimumWidth(160)
        self.status = QLabel("Listening…")
        self.status.setObjectName("Muted")
        self.status.setWordWrap(True)
        grid.addWidget(self.title, row, 0)
        grid.addWidget(self.meter, row, 1)
        grid.addWidget(self.status, row + 1, 0, 1, 2)
        self.heard = False

    def show_rms(self, rms: float) -> None:
        db = rms_to_db(rms)
        self.meter.set_db(db)
        if db > -45 and not self.heard:
            self.heard = True
            self.status.setText("✓ Sound is coming in.")


ENHANCEMENT = (
    "After a meeting, <b>Enhance</b> fills in your notes from the transcript. Offline, with "
    "no set-up, your lines stay as written, the matching moments of the call are added under "
    "each one with a link to where it was said, and the commitments heard are listed as "
    "action items; questions are answered with quotes from your meetings.<br><br>"
    "A language model (a local one such as Ollama or llama.cpp, or any OpenAI-compatible "
    "service, connected in Settings) writes that context and the answers in its own words "
    "and follows the template you choose. Already running one on this computer? "
    "<b>Settings → Find local server</b> sets it up, and can fetch a small model into Ollama. "
    "It is optional: <b>the app is fully usable offline</b>."
)


def section(title: str) -> QLabel:
    label = QLabel(title)
    label.setStyleSheet("font-weight: 600; font-size: 11pt; margin-top: 6px;")
    return label


class WelcomeDialog(QDialog):
    settings_requested = Signal()

    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        devices: DeviceSource = real_devices,
        model_loader: ModelLoader = load_model,
        server_finder: ServerFinder = find_local,
    ):
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Welcome")
        self.setMinimumWidth(580)
        c = theme.colors()
        heading = QLabel("Welcome to Notes")
        heading.setStyleSheet("font-size: 18pt; font-weight: 600;")
        intro = QLabel(
            "Type a few words per point during a call; the app transcribes both sides on this "
            "computer and fills in your notes afterwards. A quick check of your set-up:"
        )
        intro.setWordWrap(True)
        intro.setObjectName("Muted")

        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(4)
        grid.setColumnStretch(1, 1)
        self.mic = LevelRow(grid, 0, "Microphone (you)", c.me)
        self.system = LevelRow(grid, 2, "System audio (them)", c.them)
        self.audio_note = QLabel("")
        self.audio_note.setObjectName("Warning")
        self.audio_note.setWordWrap(True)
        self.audio_note.setVisible(False)

        self.model_busy = QProgressBar()
        self.model_busy.setRange(0, 0)
        self.model_busy.setTextVisible(False)
        self.model_busy.setFixedWidth(80)
        self.model_status = QLabel(f"Loading the Whisper model ({settings.transcribe.model})…")
        self.model_status.setWordWrap(True)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_busy)
        model_row.addWidget(self.model_status, 1)

        enhance = QLabel(ENHANCEMENT)
        enhance.setWordWrap(True)
        enhance.setTextFormat(Qt.TextFormat.RichText)
        self.local_status = QLabel("")
        self.local_status.setWordWrap(True)
        self.local_status.setObjectName("Muted")
        self.local_status.setVisible(False)

        self.settings_button = QPushButton("Open Settings…")
        self.settings_button.clicked.connect(self._open_settings)
        self.start_button = QPushButton("Get started")
        self.start_button.setObjectName("Primary")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.settings_button)
        buttons.addStretch(1)
        buttons.addWidget(self.start_button)

        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setStyleSheet(f"color: {c.border};")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 8, 0)  # room for the scroll bar
        layout.setSpacing(8)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addWidget(section("Audio"))
        layout.addLayout(grid)
        layout.addWidget(self.audio_note)
        layout.addWidget(section("Transcription"))
        layout.addLayout(model_row)
        layout.addWidget(section("Enhancement"))
        layout.addWidget(enhance)
        layout.addWidget(self.local_status)
        layout.addStretch(1)
        # The text scrolls on a short screen; the buttons stay in view.
        self.scroll = scrolling_body(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(28, 24, 28, 20)
        outer.setSpacing(8)
        outer.addWidget(self.scroll, 1)
        outer.addWidget(line)
        outer.addLayout(buttons)

        self.probe = LevelProbe(devices, self)
        self.probe.level.connect(self._level)
        self.probe.opened.connect(self._opened)
        self.probe.failed.connect(self._audio_failed)
        self.probe.start(settings.audio.mic_device, settings.audio.system_device)
        self.model_ok: bool | None = None
        start_job(
            lambda _p: model_loader(settings),
            on_done=self._model_loaded,
            on_fail=self._model_failed,
            owner=self,
        )

        if not settings.llm.base_url:
            start_job(
                lambda _p: server_finder(),
                on_done=self._servers_found,
                on_fail=lambda err: log.warning("Looking for a local model server failed: %s", err),
                owner=self,
            )

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        fit(self, self.scroll)

    def _grown(self) -> None:
        """A line changed (a check answered): grow to show it, within the screen."""
        fit_soon(self, self.scroll)

    # --- a model server on this computer ---------------------------------------------------

    def _servers_found(self, servers: list) -> None:
        if not servers:
            return  # nothing to say: the paragraph above already explains the choice
        names = "; ".join(s.describe() for s in servers)
        self.local_status.setText(
            f"✓ Found on this computer: {names}. Open Settings and press Find local server "
            "to use it."
        )
        self.local_status.setVisible(True)
        self._grown()

    # --- audio --------------------------------------------------------------------------------

    def _level(self, channel: int, rms: float) -> None:
        (self.system if channel == CHANNEL_THEM else self.mic).show_rms(rms)

    def _opened(self, result: ProbeResult) -> None:
        rows = {CHANNEL_ME: self.mic, CHANNEL_THEM: self.system}
        for channel, row in rows.items():
            if channel in result.opened:
                hint = "Speak, or play a video: the bar should move."
                if channel == CHANNEL_THEM:
                    hint = "Play some audio on this computer: the bar should move."
                row.status.setText(hint)
            else:
                row.status.setText("Not found.")
                row.meter.setEnabled(False)
        self._explain_missing(result.problems, [ch for ch in rows if ch not in result.opened])

    def _audio_failed(self, err: NotesAppError) -> None:
        for row in (self.mic, self.system):
            row.status.setText("Not found.")
        self._explain_missing((str(err),), [CHANNEL_ME, CHANNEL_THEM])

    def _explain_missing(self, problems, missing: list[int]) -> None:
        if not missing:
            self.audio_note.setVisible(False)
            self._grown()
            return
        names = {CHANNEL_ME: "microphone", CHANNEL_THEM: "system audio"}
        what = " and ".join(names[ch] for ch in missing)
        still = (
            "The app still works: you can take notes and import recordings"
            if len(missing) == 2
            else "The app still works and records the other side"
        )
        details = " ".join(problems)
        self.audio_note.setText(
            f"No {what} found. {still}. {details}".strip()
            + " Choose devices in Settings at any time."
        )
        self.audio_note.setVisible(True)
        self._grown()

    # --- model --------------------------------------------------------------------------------

    def _model_loaded(self, name: str) -> None:
        self.model_ok = True
        self.model_busy.setVisible(False)
        self.model_status.setText(
            f"✓ The Whisper model {name} loads: transcription works on this computer, offline."
        )
        self._grown()

    def _model_failed(self, err: NotesAppError) -> None:
        self.model_ok = False
        self.model_busy.setVisible(False)
        show_status(self.model_status, f"The Whisper model did not load. {err}", problem=True)
        self._grown()

    # --- closing ------------------------------------------------------------------------------

    def _open_settings(self) -> None:
        self.probe.stop()  # Settings opens the devices for its own level test
        self.settings_requested.emit()
        self.accept()

    def done(self, result: int) -> None:  # noqa: D401 - Qt override
        self.probe.stop()
        marker = marker_path(self.settings)
        # Best effort: if the marker cannot be written, the welcome simply shows again next time.
        start_job(lambda _p: _write_marker(marker))
        super().done(result)


def _write_marker(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("The first-run welcome was shown.\n", encoding="utf-8")
