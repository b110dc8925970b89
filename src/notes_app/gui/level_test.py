"""A live level test of the mic and the system audio (the welcome screen and Settings).

The devices are chosen and opened with the same core as a recording (``DeviceFinder.choose``,
``Capture``), on a worker job that reports each chunk's loudness as progress until stopped. What
is missing is reported by name, and the rest keeps working.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from notes_app.domain import CHANNEL_ME, CHANNEL_THEM
from notes_app.errors import NotesAppError
from notes_app.gui.workers import start_job

MAX_SECONDS = 120.0  # a forgotten test stops by itself


@dataclass(frozen=True)
class ProbeResult:
    opened: tuple[int, ...]  # the channels that delivered audio
    problems: tuple[str, ...]  # what is missing or failed, in words a user can act on


def real_devices() -> tuple[Any, Any]:
    """The sounddevice module and this platform's device finder."""
    import sounddevice

    from notes_app.audio.devices import finder_for_platform

    return sounddevice, finder_for_platform(sounddevice)


DeviceSource = Callable[[], tuple[Any, Any]]


class LevelProbe(QObject):
    """``start(mic, system)`` opens the inputs; ``level`` reports loudness; ``stop()`` ends it."""

    level = Signal(int, float)  # channel, rms
    opened = Signal(object)  # ProbeResult, once the devices are open (or known missing)
    failed = Signal(object)  # NotesAppError: nothing could be opened at all

    def __init__(self, devices: DeviceSource = real_devices, parent=None):
        super().__init__(parent)
        self.devices = devices
        self._stop = threading.Event()
        self.running = False

    def start(self, mic: str = "", system: str = "") -> None:
        if self.running:
            self.stop()
        self._stop = threading.Event()
        self.running = True
        start_job(
            self._run_fn(mic, system, self._stop),
            on_progress=self._progress,
            on_done=self._done,
            on_fail=self._failed,
            owner=self,
        )

    def stop(self) -> None:
        self._stop.set()
        self.running = False

    def _run_fn(self, mic: str, system: str, stop: threading.Event):
        def run(progress) -> None:
            import numpy as np

            from notes_app.audio.capture import Capture, Chunk

            sd, finder = self.devices()
            choice = finder.choose(mic, system)
            capture = Capture(sd, {CHANNEL_ME: choice.mic, CHANNEL_THEM: choice.system})
            problems = list(choice.problems)
            if not capture.devices:
                progress(("opened", ProbeResult((), tuple(problems))))
                return
            problems += [str(e) for e in capture.start()]
            progress(("opened", ProbeResult(tuple(capture.channels), tuple(problems))))
            until = time.monotonic() + MAX_SECONDS
            try:
                while not stop.is_set() and time.monotonic() < until:
                    chunk = capture.get(timeout=0.1)
                    if isinstance(chunk, Chunk) and len(chunk.samples):
                        rms = float(np.sqrt(np.mean(np.square(chunk.samples))))
                        progress(("level", chunk.channel, rms))
            finally:
                capture.stop()

        return run

    def _progress(self, event) -> None:
        if event[0] == "level":
            self.level.emit(event[1], event[2])
        elif event[0] == "opened":
            self.opened.emit(event[1])

    def _done(self, _result) -> None:
        self.running = False

    def _failed(self, err: NotesAppError) -> None:
        self.running = False
        self.failed.emit(err)


def missing_sides(result: ProbeResult) -> list[str]:
    names = {CHANNEL_ME: "microphone", CHANNEL_THEM: "system audio"}
    return [names[ch] for ch in (CHANNEL_ME, CHANNEL_THEM) if ch not in result.opened]
