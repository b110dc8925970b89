"""Play the meeting's audio from a cited moment, through sounddevice, off the GUI thread.

PySide6-Essentials has no QtMultimedia, so a worker job decodes a few seconds from the moment
(PyAV, seeking instead of decoding the whole recording) and plays them with ``sounddevice``
(injected, like the capture code). Stop ends it at once; so does playing another moment.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from notes_app.errors import AudioError, NotesAppError
from notes_app.gui.workers import start_job

RATE = 16000
CLIP_SECONDS = 12.0  # enough to hear the cited line and a little of what follows


def decode_clip(path: Path, start: float, seconds: float = CLIP_SECONDS) -> np.ndarray:
    """``seconds`` of audio from ``start``: float32, shape (samples, channels), 16 kHz.

    A two-channel meeting recording stays two channels (me left, them right). Shorter at the
    end of the recording; AudioError if the file cannot be read or ``start`` is past its end.
    """
    import av

    path = Path(path)
    if not path.is_file():
        raise AudioError(f"The recording {path} is not there any more, so it cannot be played.")
    start = max(float(start), 0.0)
    want = int(round(seconds * RATE))
    parts: list[np.ndarray] = []
    got = 0
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            stream = container.streams.audio[0]
            layout = "stereo" if (stream.codec_context.channels or 1) >= 2 else "mono"
            resampler = av.AudioResampler(format="fltp", layout=layout, rate=RATE)
            if start > 0 and stream.time_base:
                container.seek(int(start / stream.time_base), stream=stream, any_frame=False)
            skip: int | None = None
            for frame in container.decode(stream):
                if skip is None:  # the seek lands at or before the moment: drop the lead-in
                    at = float(frame.time) if frame.time is not None else 0.0
                    skip = max(int(round((start - at) * RATE)), 0)
                for out in resampler.resample(frame):
                    data = out.to_ndarray()
                    if skip:
                        cut = min(skip, data.shape[1])
                        data, skip = data[:, cut:], skip - cut
                    parts.append(data)
                    got += data.shape[1]
                if got >= want:
                    break
    except (av.FFmpegError, OSError, ValueError, IndexError) as e:
        raise AudioError(f"Cannot play {path.name}: {e}.") from None
    if not got:
        raise AudioError("There is no audio at that moment of the recording.")
    samples = np.concatenate(parts, axis=1)[:, :want]
    return np.ascontiguousarray(samples.T, dtype=np.float32)


def check_output(sd: Any) -> None:
    """AudioError naming the problem if there is no output device to play on."""
    try:
        sd.query_devices(kind="output")
    except Exception as e:  # noqa: BLE001 - PortAudio reports "no device" in several ways
        raise AudioError(
            f"No audio output device found ({str(e).splitlines()[0] if str(e) else e}). "
            "Connect speakers or headphones to play the recording."
        ) from None


class Player(QObject):
    """One clip at a time; ``playing`` is True from play() until it ends or is stopped."""

    state_changed = Signal(bool)  # playing
    failed = Signal(object)  # NotesAppError

    def __init__(self, sd: Any = None, parent=None):
        super().__init__(parent)
        self._sd = sd
        self._stop = threading.Event()
        self.playing = False

    @property
    def sd(self):
        if self._sd is None:
            import sounddevice

            self._sd = sounddevice
        return self._sd

    def play(self, path: Path, start: float) -> None:
        self.stop()
        stop = self._stop = threading.Event()
        self.playing = True
        self.state_changed.emit(True)
        sd = self.sd

        def run(_progress) -> None:
            check_output(sd)
            clip = decode_clip(path, start)
            if stop.is_set():
                return
            try:
                sd.play(clip, RATE)
                seconds = len(clip) / RATE
                stop.wait(seconds + 0.3)  # returns early when stopped
            finally:
                sd.stop()

        start_job(
            run,
            on_done=lambda _r: self._ended(stop),
            on_fail=lambda err: self._failed(stop, err),
            owner=self,
        )

    def stop(self) -> None:
        self._stop.set()
        if self.playing:
            self.playing = False
            self.state_changed.emit(False)

    def _ended(self, stop: threading.Event) -> None:
        if stop is not self._stop or stop.is_set():
            return  # a newer clip (or a stop) owns the state now
        self.playing = False
        self.state_changed.emit(False)

    def _failed(self, stop: threading.Event, err: NotesAppError) -> None:
        if stop is self._stop:
            self.playing = False
            self.state_changed.emit(False)
        self.failed.emit(err)
