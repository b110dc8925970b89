"""The spool: a stereo WAV that stays readable after kill -9, FLAC at the end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import wave

import numpy as np
from faster_whisper import decode_audio

from notes_app.audio.spool import (
    SpoolWriter,
    encode_flac,
    read_channels,
    recorder_alive,
    repair_wav,
    wav_seconds,
    write_lock,
)
from notes_app.domain import CHANNEL_ME, CHANNEL_THEM

RATE = 16000

WRITER = """
import sys, time, numpy as np
from notes_app.audio.spool import SpoolWriter, write_lock
w = SpoolWriter(sys.argv[1], [0, 1])
write_lock(w.path)
print("ready", flush=True)
while True:
    w.write(0, np.full(1600, 0.25, np.float32))
    w.write(1, np.full(1600, -0.25, np.float32))
    w.flush()
    print(w.frames, flush=True)
    time.sleep(0.02)
"""


def test_left_is_me_right_is_them_and_a_missing_side_is_silence(tmp_path):
    w = SpoolWriter(tmp_path / "a.wav", [CHANNEL_THEM])
    w.write(CHANNEL_THEM, np.full(RATE, 0.5, np.float32))
    w.close()
    me, them = read_channels(tmp_path / "a.wav")
    assert len(me) == len(them) == RATE
    assert not me.any() and abs(them.mean() - 0.5) < 0.01


def test_only_what_both_channels_have_is_written_until_the_end(tmp_path):
    w = SpoolWriter(tmp_path / "a.wav", [CHANNEL_ME, CHANNEL_THEM])
    w.write(CHANNEL_ME, np.full(RATE, 0.1, np.float32))
    w.write(CHANNEL_THEM, np.full(RATE // 2, 0.2, np.float32))
    w.flush()
    assert wav_seconds(tmp_path / "a.wav") == 0.5  # readable while recording, in step
    w.close()
    me, them = read_channels(tmp_path / "a.wav")
    assert len(me) == RATE and not them[RATE // 2 :].any()  # the shorter side padded


def test_kill_9_leaves_a_readable_wav_up_to_the_last_flush(tmp_path):
    path = tmp_path / "spool.wav"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "ready"
    assert recorder_alive(path)
    flushed = 0
    while flushed < 2 * RATE:
        flushed = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not recorder_alive(path)
    with wave.open(str(path)) as w:  # the header alone is enough: no repair needed to read it
        assert w.getnchannels() == 2 and w.getframerate() == RATE
        assert w.getnframes() >= flushed
    audio = decode_audio(str(path), split_stereo=True)
    assert len(audio[0]) >= flushed
    assert abs(audio[0][:flushed].mean() - 0.25) < 0.01
    assert abs(audio[1][:flushed].mean() + 0.25) < 0.01
    assert repair_wav(path) >= flushed / RATE


def test_repair_counts_bytes_written_after_the_last_header_update(tmp_path):
    path = tmp_path / "a.wav"
    w = SpoolWriter(path, [CHANNEL_ME])
    w.write(CHANNEL_ME, np.full(RATE, 0.1, np.float32))
    w.flush()
    with open(path, "ab") as f:  # half a second that reached the disk, then a crash
        f.write(np.zeros(RATE // 2 * 2, "<i2").tobytes() + b"\x01")  # and a torn frame
    assert wav_seconds(path) == 1.0
    assert repair_wav(path) == 1.5
    assert wav_seconds(path) == 1.5


def test_flac_keeps_both_channels(tmp_path):
    w = SpoolWriter(tmp_path / "a.wav", [CHANNEL_ME, CHANNEL_THEM])
    w.write(CHANNEL_ME, np.full(RATE * 2, 0.25, np.float32))
    w.write(CHANNEL_THEM, np.zeros(RATE * 2, np.float32))
    w.close()
    flac = encode_flac(tmp_path / "a.wav", tmp_path / "a.flac")
    me, them = decode_audio(str(flac), split_stereo=True)
    assert len(me) == 2 * RATE
    assert abs(me.mean() - 0.25) < 0.01 and not them.any()


def test_a_lock_of_a_running_process_is_alive(tmp_path):
    spool = tmp_path / "a.wav"
    spool.touch()
    write_lock(spool)
    assert recorder_alive(spool)
    (tmp_path / "a.wav.lock").write_text('{"pid": 999999999}')
    assert not recorder_alive(spool)
