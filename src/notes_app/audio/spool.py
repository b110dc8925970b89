"""The crash-safe recording: one stereo WAV (left = me, right = them) while recording, FLAC after.

Why WAV and not FLAC while recording: a FLAC stream cut by kill -9 may end mid-frame with no
valid header; a WAV's header holds only two sizes, which we rewrite (then fsync) at every flush,
so after any crash the file is a valid WAV up to the last flush, at most about a second ago.
Bytes written after that flush are still on disk; ``repair_wav`` counts them in again.
At stop (or on recovery) the WAV is encoded to FLAC and removed.

A lock file next to the spool records the recording process, so ``recover`` can tell a
meeting still being recorded from one whose process died.
"""

from __future__ import annotations

import json
import os
import struct
import wave
from pathlib import Path

import numpy as np

from notes_app.domain import CHANNEL_ME, CHANNEL_THEM
from notes_app.errors import AudioError, StorageError

RATE = 16000
CHANNELS = 2
SAMPLE_BYTES = 2
FRAME_BYTES = CHANNELS * SAMPLE_BYTES
HEADER_BYTES = 44


def _header(data_bytes: int) -> bytes:
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVE"
        + b"fmt "
        + struct.pack(
            "<IHHIIHH", 16, 1, CHANNELS, RATE, RATE * FRAME_BYTES, FRAME_BYTES, 8 * SAMPLE_BYTES
        )
        + b"data"
        + struct.pack("<I", data_bytes)
    )


def to_int16(samples: np.ndarray) -> np.ndarray:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")


class SpoolWriter:
    """Appends aligned per-channel audio to the WAV; ``flush`` makes it durable.

    ``live_channels`` are the channels that have a device; the others are written as silence.
    Audio is written only as far as every live channel has reached, so left and right stay in
    step (the session's Aligner pads a quiet channel so that never stalls).
    """

    def __init__(self, path: Path, live_channels: list[int]):
        self.path = Path(path)
        self.live = [ch for ch in (CHANNEL_ME, CHANNEL_THEM) if ch in live_channels]
        self._pending: dict[int, list[np.ndarray]] = {ch: [] for ch in self.live}
        self._pending_len = {ch: 0 for ch in self.live}
        self.frames = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "xb")  # never overwrite an earlier recording
            self._file.write(_header(0))
            self._sync()
        except OSError as e:
            raise StorageError(f"Cannot create the recording {self.path}: {e.strerror}.") from None

    @property
    def seconds(self) -> float:
        return self.frames / RATE

    def write(self, channel: int, samples: np.ndarray) -> None:
        self._pending[channel].append(samples)
        self._pending_len[channel] += len(samples)

    def flush(self, *, final: bool = False) -> None:
        """Write what every channel has (everything, padded, when ``final``) and fsync."""
        if not self.live:
            return
        lengths = self._pending_len.values()
        n = max(lengths) if final else min(lengths)
        if n > 0:
            block = np.zeros((n, CHANNELS), np.float32)
            for ch in self.live:
                taken = self._take(ch, n)
                block[: len(taken), ch] = taken
            try:
                self._file.write(to_int16(block).tobytes())
            except OSError as e:
                raise StorageError(
                    f"Cannot write the recording {self.path}: {e.strerror}. Free disk space; "
                    "the audio up to now is kept."
                ) from None
            self.frames += n
        self._sync()

    def _take(self, channel: int, n: int) -> np.ndarray:
        parts, got = [], 0
        pending = self._pending[channel]
        while pending and got < n:
            head = pending[0]
            need = n - got
            if len(head) <= need:
                parts.append(pending.pop(0))
                got += len(head)
            else:
                parts.append(head[:need])
                pending[0] = head[need:]
                got += need
        self._pending_len[channel] -= got
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    def _sync(self) -> None:
        # Data first, then the header that counts it: the header never claims unwritten bytes.
        self._file.flush()
        data_bytes = self.frames * FRAME_BYTES
        self._file.seek(0)
        self._file.write(_header(data_bytes))
        self._file.seek(HEADER_BYTES + data_bytes)
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self.flush(final=True)
        self._file.close()


def repair_wav(path: Path) -> float:
    """Make the header count every whole frame on disk (after a crash); return the seconds."""
    path = Path(path)
    size = path.stat().st_size
    frames = max(size - HEADER_BYTES, 0) // FRAME_BYTES
    with open(path, "r+b") as f:
        f.write(_header(frames * FRAME_BYTES))
        f.truncate(HEADER_BYTES + frames * FRAME_BYTES)
        f.flush()
        os.fsync(f.fileno())
    return frames / RATE


def read_channels(path: Path, start: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The (me, them) float32 channels of a spool WAV from ``start`` seconds to its end."""
    try:
        with wave.open(str(path), "rb") as w:
            first = min(int(start * RATE), w.getnframes())
            w.setpos(first)
            raw = w.readframes(w.getnframes() - first)
    except (OSError, wave.Error, EOFError) as e:
        raise AudioError(f"Cannot read the recording {path}: {e}.") from None
    both = np.frombuffer(raw, "<i2").reshape(-1, CHANNELS).astype(np.float32) / 32768.0
    return both[:, CHANNEL_ME].copy(), both[:, CHANNEL_THEM].copy()


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def encode_flac(wav_path: Path, flac_path: Path) -> Path:
    """Encode the spool WAV to FLAC (lossless), frame by frame so memory stays flat."""
    import av

    tmp = Path(str(flac_path) + ".part")
    try:
        with av.open(str(wav_path)) as src, av.open(str(tmp), "w", format="flac") as dst:
            out = dst.add_stream("flac", rate=RATE, layout="stereo")
            for frame in src.decode(audio=0):
                frame.pts = None
                for packet in out.encode(frame):
                    dst.mux(packet)
            for packet in out.encode(None):
                dst.mux(packet)
        os.replace(tmp, flac_path)
    except (av.FFmpegError, OSError) as e:
        tmp.unlink(missing_ok=True)
        raise AudioError(
            f"Could not encode {wav_path} to FLAC ({e}); the WAV is kept and can be played."
        ) from None
    return Path(flac_path)


# --- who is recording ---------------------------------------------------------------------------


def lock_path(spool: Path) -> Path:
    return Path(str(spool) + ".lock")


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name: [state, ppid, ..., starttime at 19]."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (so a reused pid is not mistaken for ours)."""
    fields = _proc_stat(pid)
    return fields[19] if fields else None


def write_lock(spool: Path) -> Path:
    pid = os.getpid()
    path = lock_path(spool)
    path.write_text(json.dumps({"pid": pid, "start": _process_start(pid)}))
    return path


def recorder_alive(spool: Path) -> bool:
    """True when the process that wrote the lock next to ``spool`` is still running."""
    try:
        info = json.loads(lock_path(spool).read_text())
    except (OSError, ValueError):
        return False
    pid = int(info.get("pid", 0))
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process with that pid: assume it is alive, be careful
    fields = _proc_stat(pid)
    if fields is None:
        return True  # no /proc (not Linux): the pid exists, that is all we can know
    if fields[0] == "Z":
        return False  # killed, not yet reaped by its parent
    return info.get("start") in (None, fields[19])
