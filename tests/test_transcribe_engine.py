"""The engine on real speech: tiny.en on espeak-ng voices, mono and two-channel meetings."""

from __future__ import annotations

import os
import subprocess
import wave
from pathlib import Path

import av
import numpy as np
import pytest
from speech import concat, say, silence, stereo

from notes_app.audio.decode import SAMPLE_RATE, decode
from notes_app.errors import AudioError, ModelNotFound
from notes_app.transcribe.engine import WhisperEngine

pytestmark = pytest.mark.slow

MONO_TEXT = "The quarterly budget meeting starts on Monday morning."
ME_FIRST = "Please send the contract to the lawyer today."
THEM_REPLY = "My sister bought a new car in London last week."
ME_AGAIN = "Our team won the final match on Sunday."


def words(segments) -> str:
    return " ".join(s.text for s in segments).lower()


def seconds(path: Path) -> float:
    with wave.open(str(path)) as f:
        return f.getnframes() / f.getframerate()


@pytest.fixture(scope="module")
def audio(tmp_path_factory) -> dict[str, Path]:
    """Speech made once for this module: a mono sentence and a three-turn stereo meeting."""
    d = tmp_path_factory.mktemp("speech")
    mono = say(MONO_TEXT, d / "mono.wav")
    me1 = say(ME_FIRST, d / "me1.wav")
    them = say(THEM_REPLY, d / "them.wav", voice="en-gb+f3", speed=140)
    me2 = say(ME_AGAIN, d / "me2.wav")
    gap = silence(1.0, d / "gap.wav")
    quiet = {p: silence(seconds(p), d / f"quiet-{p.stem}.wav") for p in (me1, them, me2)}
    left = concat([me1, gap, quiet[them], gap, me2], d / "left.wav")
    right = concat([quiet[me1], gap, them, gap, quiet[me2]], d / "right.wav")
    only_left = concat([me1, gap], d / "only-left.wav")
    return {
        "mono": mono,
        "meeting": stereo(left, right, d / "meeting.wav"),
        "one_sided": stereo(only_left, silence(seconds(only_left), d / "mute.wav"), d / "one.wav"),
        "dual_mono": stereo(mono, mono, d / "dual.wav"),
    }


def test_mono_speech_is_recognised_with_unknown_speaker(whisper_engine, audio):
    transcript = whisper_engine.transcribe_file(audio["mono"], language="en")
    heard = words(transcript.segments)
    for word in ("budget", "meeting", "monday"):
        assert word in heard
    assert all(s.speaker is None and s.channel is None for s in transcript.segments)
    assert [s.index for s in transcript.segments] == list(range(len(transcript.segments)))
    assert transcript.language == "en"


def test_stereo_meeting_is_attributed_per_channel_and_ordered_by_time(whisper_engine, audio):
    segments = whisper_engine.transcribe_file(audio["meeting"], language="en").segments
    speakers = [s.speaker for s in segments]
    # Collapse consecutive segments of one speaker: the turns must be me, them, me.
    turns = [who for i, who in enumerate(speakers) if i == 0 or speakers[i - 1] != who]
    assert turns == ["me", "them", "me"]
    by_speaker = {who: words(s for s in segments if s.speaker == who) for who in ("me", "them")}
    assert "contract" in by_speaker["me"] and "match" in by_speaker["me"]
    assert "london" in by_speaker["them"] and "contract" not in by_speaker["them"]
    assert [s.start for s in segments] == sorted(s.start for s in segments)
    assert all(s.channel == (0 if s.speaker == "me" else 1) for s in segments)


def test_a_silent_channel_yields_nothing(whisper_engine, audio):
    segments = whisper_engine.transcribe_file(audio["one_sided"], language="en").segments
    assert segments and {s.speaker for s in segments} == {"me"}


def test_the_same_signal_on_both_channels_is_treated_as_mono(whisper_engine, audio):
    segments = whisper_engine.transcribe_file(audio["dual_mono"], language="en").segments
    assert words(segments).count("budget") == 1
    assert all(s.speaker is None for s in segments)


def test_progress_climbs_to_the_total(whisper_engine, audio):
    calls = []
    whisper_engine.transcribe_file(
        audio["meeting"], language="en", on_progress=lambda d, t: calls.append((d, t))
    )
    done = [d for d, _ in calls]
    total = calls[-1][1]
    assert done == sorted(done)
    assert done[-1] == pytest.approx(total)
    assert total == pytest.approx(2 * seconds(audio["meeting"]), rel=0.01)


def test_array_times_are_shifted_by_offset(whisper_engine, audio):
    samples = decode(audio["mono"]).channels[0]
    plain = whisper_engine.transcribe_array(samples, language="en")
    shifted = whisper_engine.transcribe_array(samples, language="en", offset=100.0)
    assert [s.text for s in shifted] == [s.text for s in plain]
    assert [s.start for s in shifted] == pytest.approx([s.start + 100.0 for s in plain])
    assert all(s.speaker is None for s in shifted)


def test_silence_gives_no_segments(whisper_engine):
    hush = np.zeros(SAMPLE_RATE * 3, dtype=np.float32)
    assert whisper_engine.transcribe_array(hush, language="en") == []
    # Low noise is not digital silence: VAD and cleanup must still find no words in it.
    noise = np.random.default_rng(1).normal(0, 0.002, SAMPLE_RATE * 3).astype(np.float32)
    assert whisper_engine.transcribe_array(noise, language="en") == []


def encode(source: Path, out: Path, codec: str) -> Path:
    """Re-encode a mono wav with PyAV (sox here cannot write mp3 or m4a)."""
    samples = decode(source).channels[0]
    pcm = (samples * 32767).astype(np.int16).reshape(1, -1)
    with av.open(str(out), "w") as container:
        stream = container.add_stream(codec, rate=SAMPLE_RATE)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out


def sox_convert(source: Path, out: Path) -> Path:
    subprocess.run(["sox", str(source), str(out)], check=True)
    return out


@pytest.mark.parametrize("suffix", ["flac", "ogg", "mp3", "m4a"])
def test_compressed_formats_decode_and_transcribe(whisper_engine, audio, tmp_path, suffix):
    out = tmp_path / f"mono.{suffix}"
    if suffix in ("flac", "ogg"):
        path = sox_convert(audio["mono"], out)
    else:
        path = encode(audio["mono"], out, {"mp3": "libmp3lame", "m4a": "aac"}[suffix])
    heard = words(whisper_engine.transcribe_file(path, language="en").segments)
    # Lossy codecs shift a word now and then ("monday" heard as "sunday"); decoding works if
    # most of the key words come through.
    assert sum(word in heard for word in ("budget", "meeting", "monday")) >= 2


def test_truncated_wav_transcribes_what_is_there(whisper_engine, audio, tmp_path):
    data = audio["mono"].read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 2])  # the header still claims the full length
    segments = whisper_engine.transcribe_file(cut, language="en").segments
    assert "budget" in words(segments)
    assert max(s.end for s in segments) <= seconds(audio["mono"]) / 2 + 0.5


def bad_files(tmp_path: Path, good_wav: Path) -> dict[str, Path]:
    files = {
        "random": tmp_path / "noise.wav",
        "empty": tmp_path / "empty.wav",
        "text": tmp_path / "notes.mp3",
        "header only": tmp_path / "header.wav",
    }
    files["random"].write_bytes(os.urandom(20000))
    files["empty"].write_bytes(b"")
    files["text"].write_text("This is a text file, not audio.\n" * 40)
    files["header only"].write_bytes(good_wav.read_bytes()[:44])
    return files


def test_files_that_are_not_audio_raise_audio_error_naming_the_file(whisper_engine, audio,
                                                                    tmp_path):  # fmt: skip
    for kind, path in bad_files(tmp_path, audio["mono"]).items():
        with pytest.raises(AudioError) as err:
            whisper_engine.transcribe_file(path, language="en")
        assert str(path) in str(err.value), kind
        assert "Cannot decode" in str(err.value), kind


def test_missing_file_says_so(whisper_engine, tmp_path):
    with pytest.raises(AudioError, match="No audio file at"):
        whisper_engine.transcribe_file(tmp_path / "nowhere.wav", language="en")


def test_a_broken_model_folder_raises_model_not_found(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"garbage")
    engine = WhisperEngine(folder)
    with pytest.raises(ModelNotFound, match="Cannot load the Whisper model"):
        engine.load()
