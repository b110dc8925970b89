"""Meeting detection: moved time with a fake source (our seam), and a real PulseAudio client."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from pulse import MIC, SPEAKERS

from notes_app.audio.detect import MeetingDetector, MicUser, PulseMicUsers


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def detector(users: list[MicUser], clock: Clock, **kw) -> MeetingDetector:
    return MeetingDetector(lambda: list(users), clock=clock, own_pid=4242, **kw)


def test_a_call_app_holding_the_mic_15_s_starts_a_meeting_and_releasing_ends_it():
    users, clock = [], Clock()
    det = detector(users, clock)
    users.append(MicUser("ZOOM VoiceEngine", "zoom", 100))
    assert det.poll() == []
    clock.now = 14.0
    assert det.poll() == []
    clock.now = 15.0
    [started] = det.poll()
    assert (started.kind, started.app, str(started)) == (
        "started",
        "ZOOM VoiceEngine",
        "meeting started (ZOOM VoiceEngine)",
    )
    clock.now = 100.0
    assert det.poll() == []  # still the same meeting: no second prompt
    users.clear()
    clock.now = 101.0
    [ended] = det.poll()
    assert str(ended) == "meeting ended"


def test_cooldown_our_own_process_and_dictation_tools():
    users, clock = [], Clock()
    det = detector(users, clock, min_hold=1, cooldown=300)
    users += [
        MicUser("python3", "python3", 4242),
        MicUser("Nerd Dictation", "python3", 7),
        MicUser("notes-app", "notes-app", 8),
        MicUser("Audacity", "audacity", 9),
    ]
    det.poll()
    clock.now = 60.0
    assert det.poll() == []  # none of those is a call
    users.append(MicUser("Firefox", "firefox", 10))
    det.poll()
    clock.now = 61.0
    assert [e.kind for e in det.poll()] == ["started"]
    users.pop()
    clock.now = 62.0
    assert [e.kind for e in det.poll()] == ["ended"]
    users.append(MicUser("Firefox", "firefox", 10))  # mic toggled back on a moment later
    det.poll()
    clock.now = 70.0
    assert det.poll() == []  # within the cooldown: no repeat prompt
    clock.now = 400.0
    assert [e.kind for e in det.poll()] == ["started"]


def recording_client(name: str, device: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            "parecord",
            f"--client-name={name}",
            f"--property=application.name={name}",
            f"--device={device}",
            "--raw",
            "/dev/null",
        ],
        env=os.environ.copy(),
    )


@pytest.mark.slow
def test_pulse_lists_who_records_the_mic_but_not_the_monitor(pulse):
    mic_user = recording_client("zoom", MIC)
    monitor_user = recording_client("obs", f"{SPEAKERS}.monitor")
    try:
        import time

        deadline = time.monotonic() + 10
        while not any(u.app == "zoom" for u in PulseMicUsers()()):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert "obs" not in {u.app for u in PulseMicUsers()()}
    finally:
        mic_user.kill()
        monitor_user.kill()
        mic_user.wait()
        monitor_user.wait()


@pytest.mark.slow
def test_watch_prints_start_and_end_for_a_call_app_on_the_mic(pulse):
    watch = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "notes_app",
            "watch",
            "--json",
            "--min-hold",
            "1",
            "--interval",
            "0.2",
            "--count",
            "2",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    client = recording_client("zoom", MIC)
    try:
        started = json.loads(watch.stdout.readline())
        assert started == {"event": "meeting_started", "app": "zoom"}
    finally:
        client.kill()
        client.wait()
    ended = json.loads(watch.stdout.readline())
    assert ended["event"] == "meeting_ended"
    assert watch.wait(timeout=30) == 0
