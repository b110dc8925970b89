"""The capture path fed from files through an injected sounddevice stand-in (our own seam)."""

from __future__ import annotations

import numpy as np
import pytest

from notes_app.audio.capture import RATE, Aligner, Capture, Chunk, FileInputModule, StreamStopped
from notes_app.audio.devices import InputDevice
from notes_app.domain import CHANNEL_ME, CHANNEL_THEM
from notes_app.errors import AudioError


def tone(seconds: float, freq: float, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def device(name: str, rate: float | None = None) -> InputDevice:
    return InputDevice(name, name, "mic", open_device=name, samplerate=rate)


def collect(capture: Capture, seconds: float) -> dict[int, list[Chunk]]:
    got: dict[int, list[Chunk]] = {CHANNEL_ME: [], CHANNEL_THEM: []}
    while sum(len(c.samples) for c in got[CHANNEL_THEM]) < seconds * RATE:
        item = capture.get(timeout=5)
        assert item is not None, "the file stream stopped delivering"
        if isinstance(item, Chunk):
            got[item.channel].append(item)
    return got


def test_two_files_arrive_on_their_own_channels_never_mixed():
    fake = FileInputModule({"mic": tone(1.0, 440), "sys": tone(1.0, 1000)}, speed=8)
    capture = Capture(
        fake, {CHANNEL_ME: device("mic"), CHANNEL_THEM: device("sys")}, clock=fake.clock
    )
    assert capture.start() == []
    got = collect(capture, 1.0)
    capture.stop()
    for channel, freq in ((CHANNEL_ME, 440), (CHANNEL_THEM, 1000)):
        audio = np.concatenate([c.samples for c in got[channel]])[:RATE]
        # On a busy machine a channel can lag and be padded with silence, so the clip may be
        # shorter or hold some padding: read frequencies in Hz from the clip's own length.
        spectrum = np.abs(np.fft.rfft(audio))
        hz = RATE / len(audio)
        assert abs(int(np.argmax(spectrum)) * hz - freq) <= 2 * hz  # only its own tone
        other = 1000 if freq == 440 else 440
        assert spectrum[round(other / hz)] < spectrum.max() / 100


def test_a_48_khz_device_is_resampled_to_16_khz():
    fake = FileInputModule({"mic": tone(1.0, 440, rate=48000)}, speed=8)
    capture = Capture(fake, {CHANNEL_ME: device("mic", rate=48000)}, clock=fake.clock)
    capture.start()
    samples = []
    while sum(map(len, samples)) < RATE:
        item = capture.get(timeout=5)
        if isinstance(item, Chunk):
            samples.append(item.samples)
    capture.stop()
    audio = np.concatenate(samples)[2000:RATE]  # past the resampler's start-up
    peak = int(np.argmax(np.abs(np.fft.rfft(audio))))
    assert abs(peak * RATE / len(audio) - 440) < 5


def test_a_device_that_cannot_open_is_reported_and_the_other_side_records():
    fake = FileInputModule({"sys": tone(0.5, 1000)}, speed=8)
    capture = Capture(
        fake, {CHANNEL_ME: device("gone"), CHANNEL_THEM: device("sys")}, clock=fake.clock
    )
    failures = capture.start()
    assert len(failures) == 1 and "gone" in str(failures[0])
    assert capture.channels == [CHANNEL_THEM]
    assert isinstance(capture.get(timeout=5), Chunk)
    capture.stop()


def test_no_device_at_all_is_an_error():
    fake = FileInputModule({})
    with pytest.raises(AudioError, match="Could not open"):
        Capture(fake, {CHANNEL_ME: device("gone")}).start()


def test_a_stream_that_dies_mid_call_is_announced():
    fake = FileInputModule({"mic": tone(0.3, 440)}, speed=8)
    capture = Capture(fake, {CHANNEL_ME: device("mic")}, clock=fake.clock)
    capture.start()
    capture._streams[0].stop()  # as if the device vanished: PortAudio ends the stream
    item = capture.get(timeout=1)
    while isinstance(item, Chunk):  # the chunks already queued come first
        item = capture.get(timeout=1)
    assert isinstance(item, StreamStopped) and item.channel == CHANNEL_ME


def test_aligner_pads_a_channel_that_was_silent_but_not_a_late_callback():
    aligner = Aligner([CHANNEL_ME, CHANNEL_THEM])
    block = np.ones(1600, np.float32)
    # "me" arrives steadily, one callback 0.3 s late: no hole may be cut into the speech.
    pos = 0.0
    for i in range(10):
        late = 0.3 if i == 5 else 0.0
        aligner.place(Chunk(CHANNEL_ME, pos + late, block))
        pos += 0.1
    assert aligner.positions[CHANNEL_ME] == 10 * 1600
    # "them" says nothing for 2 s (an idle output's monitor sends nothing), then speaks.
    pieces = aligner.place(Chunk(CHANNEL_THEM, 2.0, block))
    assert [len(p) for _, p in pieces] == [2 * RATE, 1600]
    assert not pieces[0][1].any()


def test_aligner_pad_to_fills_only_quiet_channels():
    aligner = Aligner([CHANNEL_ME, CHANNEL_THEM])
    aligner.place(Chunk(CHANNEL_ME, 0.0, np.ones(3 * RATE, np.float32)))
    pieces = aligner.pad_to(2.5)
    assert [(ch, len(p)) for ch, p in pieces] == [(CHANNEL_THEM, int(2.5 * RATE))]
