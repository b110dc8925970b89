"""Two input streams, mic = me and system = them, each brought to 16 kHz mono, never mixed.

The sounddevice module is injected, so tests and benchmarks feed files through this same code
(``FileInputModule``). The stream callback only timestamps and enqueues; everything else runs
in the consumer's thread. The queue is unbounded on purpose: audio is never dropped, a slow
consumer only grows a backlog that the session reports.

Time: each chunk is stamped with the capture clock when it arrives. ``Aligner`` places chunks on
one meeting timeline per channel, padding gaps with silence (a monitor of an idle output may
deliver nothing at all while nobody speaks), so sample n of either channel is second n/16000 of
the meeting.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from notes_app.audio.devices import InputDevice
from notes_app.errors import AudioError

log = logging.getLogger(__name__)

RATE = 16000
BLOCK_SECONDS = 0.1

# Opening a PulseAudio stream reads PULSE_SOURCE from the environment at that moment.
_ENV_LOCK = threading.Lock()


@dataclass(frozen=True)
class Chunk:
    """16 kHz mono float32 audio of one channel starting ``start`` seconds into the meeting."""

    channel: int
    start: float
    samples: np.ndarray

    @property
    def end(self) -> float:
        return self.start + len(self.samples) / RATE


@dataclass(frozen=True)
class StreamStopped:
    """A device stopped delivering audio while we were still recording (unplugged, revoked)."""

    channel: int
    device: str


class Resampler:
    """Mono float32 at ``rate`` → 16 kHz, keeping filter state across chunks (PyAV/FFmpeg)."""

    def __init__(self, rate: int):
        import av

        self.rate = rate
        self._av = av
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)

    def __call__(self, mono: np.ndarray) -> np.ndarray:
        frame = self._av.AudioFrame.from_ndarray(
            np.ascontiguousarray(mono, dtype=np.float32).reshape(1, -1),
            format="flt",
            layout="mono",
        )
        frame.sample_rate = self.rate
        out = [f.to_ndarray().reshape(-1) for f in self._resampler.resample(frame)]
        return np.concatenate(out) if out else np.zeros(0, np.float32)


class Capture:
    """Opens one input stream per channel and turns callbacks into ``Chunk``s.

    ``devices`` maps a channel (CHANNEL_ME, CHANNEL_THEM) to its input, or to None when that
    side is not recorded. ``clock`` is the time source the chunks are stamped with.
    """

    def __init__(
        self,
        sd: Any,
        devices: dict[int, InputDevice | None],
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.sd = sd
        self.devices = {ch: d for ch, d in devices.items() if d is not None}
        self.clock = clock
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._streams: list[Any] = []
        self._resamplers: dict[int, Resampler] = {}
        self._stopping = False
        self.t0 = 0.0
        self.overflows = 0

    @property
    def channels(self) -> list[int]:
        return sorted(self.devices)

    def start(self) -> list[AudioError]:
        """Open every stream that can be opened; return the failures of the others.

        Raises AudioError only when no stream at all could be opened: one side is better
        than nothing.
        """
        self.t0 = self.clock()
        failures = []
        for channel, device in sorted(self.devices.items()):
            try:
                self._streams.append(self._open(channel, device))
            except AudioError as e:
                failures.append(e)
                del self.devices[channel]
        if not self._streams:
            raise AudioError(
                " ".join(str(f) for f in failures)
                or "No input to record from: both the mic and the system audio are turned off."
            )
        return failures

    def _open(self, channel: int, device: InputDevice) -> Any:
        rate = int(device.samplerate or RATE)
        if rate != RATE:
            self._resamplers[channel] = Resampler(rate)
        with _ENV_LOCK:
            saved = {k: os.environ.get(k) for k, _ in device.env}
            os.environ.update(dict(device.env))
            try:
                stream = self.sd.InputStream(
                    device=device.open_device,
                    samplerate=rate,
                    channels=1,
                    dtype="float32",
                    blocksize=int(rate * BLOCK_SECONDS),
                    callback=self._callback_for(channel),
                    finished_callback=lambda: self._finished(channel),
                )
                stream.start()
            except Exception as e:
                raise AudioError(
                    f"Could not open {device.label}: {e}. Check `notes-app devices`, or pass "
                    f"--{'mic' if channel == 0 else 'system'} none to record without it."
                ) from None
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
        return stream

    def _callback_for(self, channel: int) -> Callable[..., None]:
        put, clock = self._queue.put, self.clock

        def callback(indata, frames, time_info, status) -> None:
            # Runs on the audio thread: stamp, copy, enqueue; nothing that can block or fail.
            if status:
                self.overflows += 1
            put((channel, clock(), indata.copy()))

        return callback

    def _finished(self, channel: int) -> None:
        if not self._stopping:
            self._queue.put(StreamStopped(channel, self.devices[channel].label))

    def get(self, timeout: float | None = None) -> Chunk | StreamStopped | None:
        """The next chunk (16 kHz mono), a StreamStopped notice, or None after ``timeout``."""
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(item, StreamStopped):
            return item
        channel, arrived, data = item
        mono = data.mean(axis=1) if data.ndim == 2 else data
        mono = mono.astype(np.float32, copy=False)
        rate = self.devices[channel].samplerate or RATE
        start = arrived - self.t0 - len(mono) / rate
        if channel in self._resamplers:
            mono = self._resamplers[channel](mono)
        return Chunk(channel, max(start, 0.0), mono)

    def pending(self) -> int:
        return self._queue.qsize()

    def stop(self) -> None:
        """Stop and close the streams; chunks already queued can still be read with ``get``."""
        self._stopping = True
        for stream in self._streams:
            try:
                stream.stop()
                stream.close()
            except Exception:  # noqa: BLE001 - a device already gone cannot be closed; fine
                log.warning("Closing an audio stream failed; going on", exc_info=True)
        self._streams.clear()


class Aligner:
    """Lays each channel's chunks on the meeting timeline.

    Samples are counted, not timed: a chunk follows the one before it, so a late callback
    (a busy machine) never cuts a hole in the middle of a word. Only when a channel has
    delivered nothing for more than ``tolerance`` (a device that pauses while idle) does the
    next chunk get silence in front of it, up to the time it was stamped with. A chunk is
    never dropped. ``pad_to`` fills a quiet channel up to a time so the other is not held up.
    """

    def __init__(self, channels: list[int], *, tolerance: float = 0.5):
        self.positions = {ch: 0 for ch in channels}  # samples so far, per channel
        self.heard_until = {ch: 0.0 for ch in channels}  # stamped end of the latest chunk
        self.tolerance = tolerance

    def place(self, chunk: Chunk) -> list[tuple[int, np.ndarray]]:
        out = []
        ch = chunk.channel
        idle = chunk.start - self.heard_until[ch]
        gap = int(round(chunk.start * RATE)) - self.positions[ch]
        if idle > self.tolerance and gap > 0:
            out.append((ch, np.zeros(gap, np.float32)))
        out.append((ch, chunk.samples))
        for _, samples in out:
            self.positions[ch] += len(samples)
        self.heard_until[ch] = max(self.heard_until[ch], chunk.end)
        return out

    def pad_to(self, seconds: float) -> list[tuple[int, np.ndarray]]:
        out = []
        target = int(seconds * RATE)
        for ch, pos in self.positions.items():
            if target > pos and seconds - self.heard_until[ch] > self.tolerance:
                out.append((ch, np.zeros(target - pos, np.float32)))
                self.positions[ch] = target
                self.heard_until[ch] = seconds
        return out


# --- Feeding files through the same code path ------------------------------------------------


class FileInputModule:
    """A stand-in for the sounddevice module that plays files as input devices.

    ``sources`` maps a device name to mono float32 16 kHz samples (or a path decoded with
    faster-whisper's decoder). Each stream calls back in real time multiplied by ``speed``;
    ``clock`` runs at the same speed, so pass it to ``Capture`` when speed is not 1.
    After its audio a stream delivers silence until stopped, like a quiet microphone.
    """

    def __init__(self, sources: dict[str, np.ndarray | Path | str], *, speed: float = 1.0):
        self.sources = {name: _as_samples(src) for name, src in sources.items()}
        self.speed = speed
        self._origin = time.monotonic()

    def clock(self) -> float:
        return (time.monotonic() - self._origin) * self.speed

    def InputStream(
        self,
        *,
        device,
        samplerate,
        channels,
        blocksize,
        callback,  # noqa: N802
        finished_callback=None,
        **_,
    ):
        if device not in self.sources:
            raise AudioError(f"No such input device: {device!r}.")
        return _FileStream(
            self, self.sources[device], int(samplerate), blocksize, callback, finished_callback
        )


class _FileStream:
    def __init__(self, module, samples, rate, blocksize, callback, finished_callback):
        self.module, self.samples, self.rate = module, samples, rate
        self.blocksize, self.callback = blocksize, callback
        self.finished_callback = finished_callback
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="file-input")

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        started = self.module.clock()
        sent = 0
        while not self._stop.is_set():
            block = self.samples[sent : sent + self.blocksize]
            if len(block) < self.blocksize:
                block = np.concatenate([block, np.zeros(self.blocksize - len(block), np.float32)])
            due = started + (sent + self.blocksize) / self.rate  # when this block "was heard"
            wait = (due - self.module.clock()) / self.module.speed
            if wait > 0 and self._stop.wait(wait):
                break
            self.callback(block.reshape(-1, 1), self.blocksize, None, None)
            sent += self.blocksize
        if self.finished_callback:
            self.finished_callback()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def close(self) -> None:
        self.stop()


def _as_samples(src: np.ndarray | Path | str) -> np.ndarray:
    if isinstance(src, np.ndarray):
        return src.astype(np.float32, copy=False)
    from faster_whisper import decode_audio

    return decode_audio(str(src), sampling_rate=RATE)
