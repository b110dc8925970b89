"""`notes-app record` on a real PulseAudio: words, me/them, speakers bleeding into the mic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from pulse import MIC_SINK, SPEAKERS
from speech import say

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lines(tmp_path_factory):
    d = tmp_path_factory.mktemp("lines")
    return {
        "me": say("Hello everyone, can you hear me?", d / "me.wav"),
        "them": say("The quarterly budget was approved yesterday.", d / "them.wav"),
    }


def start_recording(*args: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "notes_app", "record", "--json", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    first = json.loads(proc.stdout.readline())  # the streams are open once this arrives
    assert first["event"] == "started", first
    return proc


def events(proc: subprocess.Popen) -> list[dict]:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def words(text: str) -> set[str]:
    return set(text.lower().replace(".", "").replace(",", "").replace("?", "").split())


def test_record_hears_me_on_the_mic_and_them_on_the_speakers(pulse, lines, notes_home, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("- budget?\n")
    proc = start_recording("--duration", "11", "--title", "Budget call", "--notes", str(notes))
    pulse.play(lines["me"], sink=MIC_SINK).wait()
    time.sleep(0.5)
    pulse.play(lines["them"], sink=SPEAKERS).wait()
    got = events(proc)
    segments = [e for e in got if e["event"] == "segment"]
    mine = [s for s in segments if s["speaker"] == "me"]
    theirs = [s for s in segments if s["speaker"] == "them"]
    assert len(mine) == 1 and {"hello", "hear"} <= words(mine[0]["text"])
    assert len(theirs) == 1 and "budget" in words(theirs[0]["text"])
    assert mine[0]["end"] <= theirs[0]["start"] + 0.5
    done = next(e for e in got if e["event"] == "done")
    assert done["segments"] == 2
    # Then the whole recording is transcribed again; the two lines stay two.
    assert got[-1]["event"] == "final_pass_done" and got[-1]["segments"] == 2
    meeting = done["meeting"]
    assert meeting["status"] == "done" and meeting["audio_path"].endswith(".flac")
    assert 10 <= meeting["duration"] <= 13
    shown = subprocess.run(
        [sys.executable, "-m", "notes_app", "show", str(meeting["id"]), "--raw"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "budget?" in shown.stdout and "quarterly" in shown.stdout.lower()
    enhanced = subprocess.run(
        [sys.executable, "-m", "notes_app", "enhance", str(meeting["id"])],
        capture_output=True,
        text=True,
    )
    assert enhanced.returncode == 0, enhanced.stderr


def test_speakers_bleeding_into_the_mic_appear_once_as_them(pulse, lines):
    proc = start_recording("--duration", "7")
    mic = pulse.play(lines["them"], sink=MIC_SINK)
    speakers = pulse.play(lines["them"], sink=SPEAKERS)
    mic.wait()
    speakers.wait()
    got = events(proc)
    segments = [e for e in got if e["event"] == "segment"]
    assert [s["speaker"] for s in segments] == ["them"]
    assert "budget" in words(segments[0]["text"])
    # The final pass hears the mic's copy too, and drops it the same way.
    assert got[-1]["event"] == "final_pass_done" and got[-1]["segments"] == 1


def test_recording_without_the_mic(pulse, lines):
    proc = start_recording("--duration", "6", "--mic", "none")
    pulse.play(lines["them"], sink=SPEAKERS).wait()
    pulse.play(lines["me"], sink=MIC_SINK).wait()  # nobody is listening to the mic
    segments = [e for e in events(proc) if e["event"] == "segment"]
    assert [s["speaker"] for s in segments] == ["them"]
