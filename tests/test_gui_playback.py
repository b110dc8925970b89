"""Playing a citation's moment: the decode-and-slice function on real files, and the control."""

from __future__ import annotations

import threading
import wave

import numpy as np
import pytest

pytest.importorskip("PySide6")

import test_gui  # noqa: E402

from notes_app.errors import AudioError  # noqa: E402
from notes_app.gui.playback import RATE, decode_clip  # noqa: E402

window = test_gui.window


def meeting_wav(path, seconds=6.0):
    """Left (me): silence, then a 440 Hz tone from 3 s. Right (them): a 300 Hz tone throughout."""
    t = np.arange(int(seconds * RATE)) / RATE
    left = np.where(t >= 3.0, 0.5 * np.sin(2 * np.pi * 440 * t), 0.0)
    right = 0.25 * np.sin(2 * np.pi * 300 * t)
    pcm = (np.stack([left, right], axis=1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as f:
        f.setnchannels(2)
        f.setsampwidth(2)
        f.setframerate(RATE)
        f.writeframes(pcm.tobytes())
    return path


def rms(x) -> float:
    return float(np.sqrt(np.mean(np.square(x))))


@pytest.mark.parametrize("suffix", ["wav", "flac"])
def test_decode_clip_starts_at_the_moment_and_keeps_both_sides(tmp_path, suffix):
    path = meeting_wav(tmp_path / "m.wav")
    if suffix == "flac":
        from notes_app.audio.spool import encode_flac

        path = encode_flac(path, tmp_path / "m.flac")
    clip = decode_clip(path, 2.5, seconds=1.0)
    assert clip.shape == (RATE, 2) and clip.dtype == np.float32
    half = RATE // 2
    assert rms(clip[: half - 400, 0]) < 0.01  # 2.5–3.0 s: me still silent
    assert rms(clip[half + 400 :, 0]) > 0.2  # 3.0–3.5 s: my tone
    assert 0.12 < rms(clip[:, 1]) < 0.22  # them throughout, at their level

    tail = decode_clip(path, 5.5, seconds=3.0)
    assert len(tail) == pytest.approx(0.5 * RATE, abs=200)  # the recording ends first
    with pytest.raises(AudioError, match="no audio at that moment"):
        decode_clip(path, 30.0)
    with pytest.raises(AudioError, match="not there any more"):
        decode_clip(tmp_path / "gone.flac", 0.0)


class NoOutput:
    """Our seam for sounddevice: a machine without any output device."""

    def query_devices(self, kind=None):
        raise ValueError("No output device found")


class Speaker:
    """Our seam for sounddevice: an output that records what it was asked to play."""

    def __init__(self):
        self.played = []
        self.stopped = threading.Event()

    def query_devices(self, kind=None):
        return {"name": "test speaker"}

    def play(self, data, rate):
        self.played.append((data.shape, rate))

    def stop(self):
        self.stopped.set()


def meeting_with_audio(app, window, audio_path):
    mid = app.repo.create_meeting(
        "Call",
        segments=test_gui.demo_segments(),
        audio_path=str(audio_path) if audio_path else None,
    )
    window.refresh_meetings()
    window.open_meeting(mid)
    window.view.open_citation(1)
    return mid


def test_the_play_control_is_hidden_when_the_meeting_has_no_audio(window, app):
    meeting_with_audio(app, window, None)
    assert window.view.quote_box.isVisible()
    assert window.view.play_button.isHidden()


def test_play_without_an_output_device_says_so_once(qtbot, window, app, tmp_path):
    window.playing.audio_output = NoOutput()
    meeting_with_audio(app, window, meeting_wav(tmp_path / "m.wav"))
    assert window.view.play_button.isVisible()
    window.view.play_button.click()
    qtbot.waitUntil(lambda: len(window.error_boxes) == 1)
    assert "No audio output device found" in window.error_boxes[0].text()
    assert window.view.play_button.text().endswith("Play")  # back to a usable control


def test_play_plays_from_the_cited_moment_and_stop_stops(qtbot, window, app, tmp_path):
    speaker = window.playing.audio_output = Speaker()
    meeting_with_audio(app, window, meeting_wav(tmp_path / "m.wav"))
    window.view.open_citation(0)
    window.view.play_button.click()
    assert window.view.play_button.text().endswith("Stop")
    qtbot.waitUntil(lambda: speaker.played != [])
    assert speaker.played[0] == ((6 * RATE, 2), RATE)  # the whole 6 s file from 0 s
    window.view.play_button.click()
    qtbot.waitUntil(speaker.stopped.is_set)
    assert window.view.play_button.text().endswith("Play")
    assert not window.error_boxes
