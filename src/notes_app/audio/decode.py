"""Reading an audio file into 16 kHz float samples, one array per channel (PyAV underneath).

A two-channel file is a meeting recording (left = me, right = them) and is kept as two arrays;
anything else is mixed to mono. Whatever goes wrong while reading becomes one AudioError that
names the file, so a bad file never surfaces as a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from notes_app.errors import AudioError

SAMPLE_RATE = 16000
# Two channels this alike are one signal saved twice (a "stereo" export of a mono recording),
# not a meeting with me on the left and them on the right. A real two-channel meeting, even
# with the far side leaking into the mic, stays far below this.
DUAL_MONO_CORRELATION = 0.98
# A file decoding this much shorter than its header says is cut short (healthy files match to
# the sample; an mp3 header's estimate is within a frame).
SHORT_BY_SECONDS = 0.5


@dataclass(frozen=True)
class AudioInfo:
    channels: int
    duration: float  # seconds, from the container; 0.0 when it does not say


@dataclass(frozen=True)
class AudioCheck:
    """What a file holds once decoded, against what its header promises."""

    channels: int
    duration: float  # seconds that decode
    expected: float  # seconds the header says; 0.0 when it does not say
    unreadable: int  # stretches that could not be decoded and were skipped

    @property
    def damaged(self) -> bool:
        return self.unreadable > 0 or self.expected - self.duration > SHORT_BY_SECONDS

    def warning(self, path: Path) -> str | None:
        """A sentence for the user when the file is damaged or cut short, else None."""
        if not self.damaged:
            return None
        if self.expected - self.duration > SHORT_BY_SECONDS:
            what = f"only {self.duration:.1f} s of its {self.expected:.1f} s could be decoded"
        else:
            what = (
                f"{self.unreadable} part(s) could not be decoded and were skipped "
                f"({self.duration:.1f} s decoded)"
            )
        return (
            f"{Path(path).name} is damaged or cut short: {what}. The transcript covers only "
            "what was decoded; if you have a complete copy, use that instead."
        )


@dataclass(frozen=True)
class DecodedAudio:
    channels: tuple[np.ndarray, ...]  # float32 at SAMPLE_RATE; two arrays for a stereo file
    duration: float

    @property
    def is_stereo(self) -> bool:
        return len(self.channels) == 2


def _cannot(path: Path, reason: str) -> AudioError:
    return AudioError(
        f"Cannot decode {path}: {reason}. Use a wav, flac, mp3, m4a or ogg audio file."
    )


def _reason(err: Exception) -> str:
    """FFmpeg's own words ("Invalid data found when processing input"), without errno noise."""
    text = getattr(err, "strerror", None) or str(err).strip() or type(err).__name__
    return str(text).splitlines()[0].strip().rstrip(".")


def probe(path: Path) -> AudioInfo:
    """Channel count and duration, read from the file's header without decoding it."""
    import av

    path = Path(path)
    if not path.is_file():
        raise AudioError(f"No audio file at {path}. Check the path and try again.")
    if path.stat().st_size == 0:
        raise _cannot(path, "the file is empty")
    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise _cannot(path, "it has no audio track")
            stream = container.streams.audio[0]
            channels = stream.codec_context.channels or 1
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / av.time_base
            else:
                duration = 0.0
    except AudioError:
        raise
    except (av.FFmpegError, OSError, ValueError, IndexError) as e:
        raise _cannot(path, _reason(e)) from None
    return AudioInfo(channels=channels, duration=max(duration, 0.0))


def check(path: Path) -> AudioCheck:
    """Decode the whole file without keeping it: how much audio it really holds.

    A file cut short keeps its header's length, and a damaged stretch is skipped quietly when
    transcribing; this finds both before a model loads, in about a second per hour of audio.
    """
    import av

    path = Path(path)
    info = probe(path)
    samples, rate, unreadable = 0, SAMPLE_RATE, 0
    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            stream = container.streams.audio[0]
            for packet in container.demux(stream):
                try:
                    for frame in packet.decode():
                        samples += frame.samples
                        rate = frame.sample_rate or rate
                except av.FFmpegError:
                    unreadable += 1  # what transcribing skips too
    except (av.FFmpegError, OSError, ValueError, IndexError) as e:
        raise _cannot(path, _reason(e)) from None
    if samples == 0:
        raise _cannot(path, "it contains no audio samples")
    return AudioCheck(info.channels, samples / rate, info.duration, unreadable)


def decode(path: Path) -> DecodedAudio:
    """All samples of ``path``: two channels for a stereo file, else one (mixed down)."""
    from faster_whisper import decode_audio

    path = Path(path)
    info = probe(path)
    stereo = info.channels == 2
    try:
        decoded = decode_audio(str(path), sampling_rate=SAMPLE_RATE, split_stereo=stereo)
    except Exception as e:  # PyAV raises many unrelated types for a broken stream
        raise _cannot(path, _reason(e)) from None
    channels = tuple(decoded) if stereo else (decoded,)
    if stereo and is_dual_mono(*channels):
        channels = (((channels[0] + channels[1]) / 2).astype(np.float32),)
    samples = len(channels[0])
    if samples == 0:
        raise _cannot(path, "it contains no audio samples")
    return DecodedAudio(channels=channels, duration=samples / SAMPLE_RATE)


def is_dual_mono(left: np.ndarray, right: np.ndarray) -> bool:
    """The same signal on both channels (a silent channel is never the same as speech)."""
    if not left.any() or not right.any():
        return bool(not left.any() and not right.any())
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = np.corrcoef(left, right)[0, 1]
    return bool(np.isfinite(correlation) and correlation >= DUAL_MONO_CORRELATION)
