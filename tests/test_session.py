"""MeetingSession end to end, fed from files through the capture seam, with real Whisper."""

from __future__ import annotations

import numpy as np
import pytest
from faster_whisper import decode_audio
from speech import concat, say, silence

from notes_app.audio.capture import Capture, FileInputModule
from notes_app.audio.devices import InputDevice
from notes_app.domain import CHANNEL_ME, CHANNEL_THEM
from notes_app.errors import NotesAppError
from notes_app.session import MeetingSession, SessionListener

SPEED = 2.0


@pytest.fixture(scope="module")
def call(tmp_path_factory):
    d = tmp_path_factory.mktemp("call")
    pause = silence(3.5, d / "pause.wav")
    short = silence(0.5, d / "short.wav")
    me = say("Hello everyone, can you hear me?", d / "hello.wav")
    them = say("The quarterly budget was approved yesterday.", d / "budget.wav")
    return {
        "mic": decode_audio(str(concat([short, me, pause, pause], d / "me.wav"))),
        "sys": decode_audio(str(concat([pause, them, short], d / "them.wav"))),
    }


class Listener(SessionListener):
    """The given callbacks in place of the no-op methods."""

    def __init__(self, **callbacks):
        self.__dict__.update(callbacks)


def make_session(app, engine, sources, **callbacks):
    fake = FileInputModule(sources, speed=SPEED)
    devices = {
        CHANNEL_ME: InputDevice("mic", "Mic", "mic", open_device="mic"),
        CHANNEL_THEM: InputDevice("sys", "Speakers", "monitor", open_device="sys"),
    }
    capture = Capture(fake, devices, clock=fake.clock)
    return MeetingSession(
        app.repo,
        engine,
        capture,
        audio_dir=app.settings.audio_dir,
        language="en",
        listener=Listener(**callbacks),
    )


def wait_for(condition, seconds=30.0):
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_meeting_is_recorded_transcribed_and_stored(app, whisper_engine, call):
    seen, levels, errors = [], [], []
    session = make_session(
        app,
        whisper_engine,
        call,
        on_segment=seen.append,
        on_level=lambda ch, rms: levels.append(ch),
        on_error=errors.append,
    )
    meeting_id = session.start("Standup", "- budget")
    meeting = app.repo.get_meeting(meeting_id)
    assert meeting.status == "recording" and meeting.audio_path.endswith(".wav")
    session.set_notes("- budget\n- release")
    wait_for(lambda: len(seen) >= 2)
    # Committed lines are in the database while the meeting is still going.
    assert app.repo.segment_count(meeting_id) >= 2
    assert app.repo.get_meeting(meeting_id).status == "recording"
    done = session.stop()
    assert errors == []
    assert done.status == "done" and done.notes == "- budget\n- release"
    assert done.agenda == "- budget"  # what was typed before the call is kept as the agenda
    assert done.audio_path.endswith(".flac") and done.duration > 7
    segs = app.repo.get_transcript(meeting_id).segments
    assert [s.index for s in segs] == list(range(len(segs)))
    me = [s for s in segs if s.speaker == "me"]
    them = [s for s in segs if s.speaker == "them"]
    assert me and "hello" in me[0].text.lower()
    assert them and "budget" in them[0].text.lower()
    assert me[0].start < them[0].start  # the order they were spoken in
    left, right = decode_audio(done.audio_path, split_stereo=True)
    assert len(left) / 16000 == pytest.approx(done.duration, abs=0.1)
    # The sentence said on the right is on the right, about where the transcript says.
    t = them[0]
    spoken = right[int(t.start * 16000) : int(t.end * 16000)]
    assert np.sqrt(np.mean(spoken**2)) > 0.02
    assert np.sqrt(np.mean(left[int(t.start * 16000) : int(t.end * 16000)] ** 2)) < 0.005
    assert set(levels) == {CHANNEL_ME, CHANNEL_THEM}


class FailingOnce:
    """A transcription that fails on its first utterance, then works (our own seam)."""

    def __init__(self, engine):
        self.engine, self.calls = engine, 0

    def transcribe_array(self, audio, **kw):
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("decoder exploded")
        return self.engine.transcribe_array(audio, **kw)


def test_an_error_is_reported_and_recording_goes_on(app, whisper_engine, call):
    errors, seen = [], []
    session = make_session(
        app, FailingOnce(whisper_engine), call, on_error=errors.append, on_segment=seen.append
    )
    meeting_id = session.start("Flaky")
    wait_for(lambda: errors and seen)
    done = session.stop()
    assert isinstance(errors[0], NotesAppError) and "audio is kept" in str(errors[0])
    assert app.repo.segment_count(meeting_id) >= 1
    assert done.status == "done" and done.duration > 7  # every second of audio kept


def test_a_missing_device_records_the_other_side(app, whisper_engine, call):
    errors = []
    session = make_session(app, whisper_engine, {"sys": call["sys"]}, on_error=errors.append)
    meeting_id = session.start("Half")
    assert session.channels == [CHANNEL_THEM]
    assert "Mic" in str(errors[0])
    wait_for(lambda: app.repo.segment_count(meeting_id) >= 1)
    session.stop()
    assert {s.speaker for s in app.repo.get_transcript(meeting_id).segments} == {"them"}


def test_notes_before_start_are_refused(app, whisper_engine, call):
    session = make_session(app, whisper_engine, call)
    with pytest.raises(NotesAppError, match="not started"):
        session.set_notes("too early")


def test_audio_waiting_for_whisper_past_the_limit_is_read_back_from_the_spool(
    app, whisper_engine, call, monkeypatch, tmp_path
):
    """Fed at 25× real time the transcript falls far behind; with a 1 s limit almost all of the
    waiting audio leaves memory and comes back from the recording on disk, word for word."""
    from notes_app.transcribe import live

    monkeypatch.setattr(live, "KEEP_WAITING", 1.0)
    rounds = 4
    sources = {name: np.tile(audio, rounds) for name, audio in call.items()}
    fake = FileInputModule(sources, speed=25.0)
    devices = {
        CHANNEL_ME: InputDevice("mic", "Mic", "mic", open_device="mic"),
        CHANNEL_THEM: InputDevice("sys", "Speakers", "monitor", open_device="sys"),
    }
    capture = Capture(fake, devices, clock=fake.clock)
    in_memory, errors = [], []

    def measure(_seconds: float) -> None:
        transcriber = session._transcriber
        with transcriber._lock:
            waiting = [u.samples for u in transcriber._ready if u.audio is not None]
        in_memory.append(sum(waiting) / live.RATE)

    session = MeetingSession(
        app.repo,
        whisper_engine,
        capture,
        audio_dir=app.settings.audio_dir,
        language="en",
        listener=Listener(on_backlog=measure, on_error=errors.append),
    )
    mid = session.start("Fast")
    wait_for(lambda: session.seconds >= len(sources["mic"]) / live.RATE, seconds=60)
    assert session.backlog > 5  # far behind: the limit matters
    meeting = session.stop()
    assert errors == []
    assert session._transcriber.read_back >= 2
    # Never more than the limit plus the newest utterance not yet flushed to disk.
    assert max(in_memory) <= 1.0 + 4.0
    text = " ".join(s.text.lower() for s in app.repo.get_transcript(mid).segments)
    assert text.count("budget") == rounds and text.count("hear me") == rounds
    assert meeting.status == "done"
