"""Crash recovery: kill -9 mid-meeting, then `notes-app recover` keeps and completes everything."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from faster_whisper import decode_audio
from pulse import MIC_SINK, SPEAKERS
from speech import concat, say, silence

from notes_app.audio.spool import SpoolWriter, lock_path
from notes_app.domain import CHANNEL_ME, CHANNEL_THEM, Segment
from notes_app.recover import recover_meeting, unfinished


def words(text: str) -> set[str]:
    return set(text.lower().replace(".", "").replace(",", "").replace("?", "").split())


@pytest.fixture(scope="module")
def lines(tmp_path_factory):
    d = tmp_path_factory.mktemp("lines")
    return {
        "budget": say("The quarterly budget was approved yesterday.", d / "budget.wav"),
        "release": say("We should ship the new release on Friday.", d / "release.wav"),
        "gap": silence(1.0, d / "gap.wav"),
        "dir": d,
    }


def test_recover_transcribes_only_what_was_not_committed(repo, whisper_engine, lines, app):
    audio = decode_audio(
        str(
            concat(
                [lines["gap"], lines["budget"], lines["gap"], lines["release"], lines["gap"]],
                lines["dir"] / "t.wav",
            )
        )
    )
    spool = app.settings.audio_dir / "crashed.wav"
    w = SpoolWriter(spool, [CHANNEL_ME, CHANNEL_THEM])
    w.write(CHANNEL_THEM, audio)
    w.write(CHANNEL_ME, np.zeros(len(audio), np.float32))
    w.flush()  # the process "dies" here: no close, no FLAC
    lock_path(spool).write_text('{"pid": 999999999}')
    budget_end = 1.0 + decode_audio(str(lines["budget"])).shape[0] / 16000 + 0.3
    committed = Segment(
        0, 0.9, budget_end, "The quarterly budget was approved yesterday.", "them", CHANNEL_THEM
    )
    meeting_id = repo.create_meeting(
        "Crashed",
        status="recording",
        audio_path=str(spool),
        notes="- ship date?",
        segments=[committed],
    )
    [todo] = unfinished(repo)
    assert todo.id == meeting_id
    done = recover_meeting(repo, whisper_engine, todo, language="en")
    segs = repo.get_transcript(meeting_id).segments
    assert segs[0] == committed  # kept exactly
    assert len(segs) == 2 and {"release", "friday"} <= words(segs[1].text)
    assert segs[1].speaker == "them" and segs[1].start >= budget_end - 0.05
    assert done.status == "done" and done.notes == "- ship date?"
    assert done.audio_path.endswith(".flac") and not spool.exists()
    assert done.duration == pytest.approx(len(audio) / 16000, abs=0.01)
    assert unfinished(repo) == []


def test_a_meeting_still_being_recorded_is_left_alone(repo, app):
    spool = app.settings.audio_dir / "live.wav"
    SpoolWriter(spool, [CHANNEL_ME]).flush()
    lock_path(spool).write_text(json.dumps({"pid": os.getpid()}))
    repo.create_meeting("Live", status="recording", audio_path=str(spool))
    assert unfinished(repo) == []


@pytest.mark.slow
def test_kill_9_mid_meeting_then_recover(pulse, lines, repo):
    proc = subprocess.Popen(
        [sys.executable, "-m", "notes_app", "record", "--json", "--title", "Crash"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started = json.loads(proc.stdout.readline())
    assert started["event"] == "started"
    began = time.monotonic()
    pulse.play(lines["budget"], sink=SPEAKERS).wait()
    first = json.loads(proc.stdout.readline())  # wait for a committed segment
    assert first["event"] == "segment" and "budget" in words(first["text"])
    pulse.play(lines["release"], sink=MIC_SINK).wait()
    time.sleep(1.3)  # past the next flush: the sentence is on disk
    os.kill(proc.pid, signal.SIGKILL)
    killed_after = time.monotonic() - began
    proc.wait()
    meeting_id = started["meeting_id"]
    assert repo.get_meeting(meeting_id).status == "recording"
    out = subprocess.run(
        [sys.executable, "-m", "notes_app", "recover", "--json"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    [report] = json.loads(out.stdout)
    assert report["meeting"]["id"] == meeting_id and report["kept"] >= 1
    meeting = repo.get_meeting(meeting_id)
    assert meeting.status == "done"
    segs = repo.get_transcript(meeting_id).segments
    budget = [s for s in segs if "budget" in words(s.text)]
    assert len(budget) == 1 and budget[0].text == first["text"]  # committed, kept, once
    assert budget[0].start == pytest.approx(first["start"], abs=0.01)
    release = [s for s in segs if {"release", "friday"} & words(s.text)]
    assert len(release) == 1 and release[0].speaker == "me"
    left, right = decode_audio(meeting.audio_path, split_stereo=True)
    assert len(left) / 16000 == pytest.approx(meeting.duration, abs=0.1)
    assert killed_after - 2.5 <= meeting.duration <= killed_after + 0.5
    again = subprocess.run(
        [sys.executable, "-m", "notes_app", "recover"], capture_output=True, text=True
    )
    assert again.stdout.strip() == "Nothing to recover."
