"""The record bar: Start/Stop, elapsed time, level meters for me and them, transcript lag."""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from notes_app.clock import clock
from notes_app.domain import CHANNEL_ME, CHANNEL_THEM, ME, THEM
from notes_app.gui import theme
from notes_app.textkit import speaker_label

SILENCE_DB = -60.0
# "Them" quieter than this for THEM_FLAT_AFTER seconds while recording means capture likely
# failed (wrong output device, muted loopback): the first thing a user should hear about.
FLAT_DB = -55.0
THEM_FLAT_AFTER = 20.0
BEHIND_AFTER = 3.0  # seconds of lag before "transcript N s behind" is worth showing
CATCHING_UP_TIP = (
    "The computer is busy, so the transcript fell behind: it is written faster and a little "
    "less accurately until it catches up. After the call the whole recording is transcribed "
    "again at full accuracy."
)


def rms_to_db(rms: float) -> float:
    return 20 * math.log10(max(rms, 1e-6))


class LevelMeter(QWidget):
    """A thin rounded bar: the channel's loudness on a dB scale, with a slow-falling peak."""

    def __init__(self, color: str, parent=None) -> None:
        super().__init__(parent)
        self.color = color
        self.level = 0.0  # 0..1
        self.setMinimumSize(60, 8)
        self.setMaximumHeight(8)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(110, 8)

    def set_db(self, db: float) -> None:
        target = min(max((db - SILENCE_DB) / -SILENCE_DB, 0.0), 1.0)
        # Rise at once, fall gently: easier to read than a jittering bar.
        self.level = target if target > self.level else self.level * 0.7 + target * 0.3
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        radius = rect.height() / 2
        p.setBrush(QColor(theme.colors().border))
        p.drawRoundedRect(rect, radius, radius)
        if self.level > 0.01:
            filled = QRectF(rect.left(), rect.top(), rect.width() * self.level, rect.height())
            p.setBrush(QColor(self.color))
            p.drawRoundedRect(filled, radius, radius)
        p.end()


class NoteLabel(QLabel):
    """A word-wrapped label that asks for one line when there is room (QLabel asks for less)."""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().sizeHint()
        m = self.contentsMargins()
        one_line = self.fontMetrics().horizontalAdvance(self.text()) + m.left() + m.right() + 24
        return QSize(max(hint.width(), one_line), hint.height())


class RecordBar(QWidget):
    record_clicked = Signal()
    skip_clicked = Signal()  # the user stops the work the bar shows (the final pass)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("RecordBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        c = theme.colors()
        self.button = QPushButton("●  Start recording")
        self.button.setObjectName("Record")
        self.button.setToolTip("Start or stop recording (Ctrl+R)")
        self.button.clicked.connect(self.record_clicked)
        self.skip = QPushButton("Skip")
        self.skip.setToolTip(
            "Stop transcribing the recording again; the live transcript is kept as it is"
        )
        self.skip.clicked.connect(self.skip_clicked)
        self.skip.setVisible(False)
        self.elapsed = QLabel("")
        self.elapsed.setObjectName("Elapsed")
        self.elapsed.setStyleSheet("font-family: monospace; font-size: 11pt;")
        self.me_meter = LevelMeter(c.me)
        self.them_meter = LevelMeter(c.them)
        self.me_label = QLabel(speaker_label(ME))
        self.them_label = QLabel(speaker_label(THEM))
        for label in (self.me_label, self.them_label):
            label.setObjectName("Muted")
        self.behind = QLabel("")
        self.behind.setObjectName("Muted")
        self.warning = NoteLabel("")
        self.warning.setObjectName("Warning")
        self.warning.setVisible(False)
        # On a narrow window the warning wraps onto two lines rather than widen the window.
        self.warning.setWordWrap(True)
        self.warning.setMinimumWidth(150)
        self.warning.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(20, 10, 20, 10)
        layout.setSpacing(8)
        layout.addWidget(self.button)
        layout.addWidget(self.skip)
        layout.addWidget(self.elapsed)
        layout.addSpacing(14)
        layout.addWidget(self.me_label)
        layout.addWidget(self.me_meter)
        layout.addSpacing(6)
        layout.addWidget(self.them_label)
        layout.addWidget(self.them_meter)
        layout.addSpacing(10)
        layout.addWidget(self.warning)
        layout.addStretch(1)
        layout.addWidget(self.behind)
        self._loud_at: dict[int, float] = {}
        self.catching_up = False
        self._backlog = 0.0
        self.set_recording(False)

    # --- state --------------------------------------------------------------------------------

    def set_recording(self, recording: bool, *, busy: str = "", skippable: bool = False) -> None:
        """Recording or not; ``busy`` says what the bar is waiting for (the button is off
        meanwhile), ``skippable`` offers Skip beside it."""
        self.recording = recording
        self.skip.setVisible(bool(busy) and skippable)
        self.skip.setEnabled(True)
        if busy:
            self.button.setText(busy)
            self.button.setEnabled(False)
        else:
            self.button.setEnabled(True)
            self.button.setText("■  Stop" if recording else "●  Start recording")
        for w in (self.me_meter, self.them_meter, self.me_label, self.them_label, self.elapsed):
            w.setVisible(recording)
        if not recording:
            self.catching_up, self._backlog = False, 0.0
            self._show_behind()
            self.warning.setVisible(False)
            self.me_meter.set_db(SILENCE_DB)
            self.them_meter.set_db(SILENCE_DB)
            self._loud_at.clear()

    def set_channels(self, channels: list[int]) -> None:
        """Show only the meters of the inputs actually recording."""
        self.me_meter.setVisible(self.recording and CHANNEL_ME in channels)
        self.me_label.setVisible(self.recording and CHANNEL_ME in channels)
        self.them_meter.setVisible(self.recording and CHANNEL_THEM in channels)
        self.them_label.setVisible(self.recording and CHANNEL_THEM in channels)

    def show_level(self, channel: int, rms: float, at_seconds: float) -> None:
        db = rms_to_db(rms)
        (self.them_meter if channel == CHANNEL_THEM else self.me_meter).set_db(db)
        if db > FLAT_DB:
            self._loud_at[channel] = at_seconds

    def show_elapsed(self, seconds: float) -> None:
        self.elapsed.setText(clock(seconds))
        last = self._loud_at.get(CHANNEL_THEM, 0.0)
        flat = self.them_meter.isVisible() and seconds - last >= THEM_FLAT_AFTER
        self.warning.setText("No sound from the call yet — check Settings")
        self.warning.setToolTip(
            "Nothing is coming from the call's audio output: check the system audio in Settings"
        )
        self.warning.setVisible(flat)

    def show_backlog(self, seconds: float) -> None:
        self._backlog = seconds
        self._show_behind()

    def show_catching_up(self, behind: bool) -> None:
        """The transcript fell behind and is decoded faster until it caught up (False)."""
        self.catching_up = behind
        self._show_behind()

    def _show_behind(self) -> None:
        lag = int(round(self._backlog))
        if self.catching_up:
            text = f"transcript catching up ({lag} s behind)" if lag else "transcript catching up"
        else:
            text = f"transcript {lag} s behind" if self._backlog >= BEHIND_AFTER else ""
        self.behind.setText(text)
        self.behind.setToolTip(CATCHING_UP_TIP if self.catching_up else "")
