"""Choosing the mic and the system-audio source, on a real PulseAudio and on pactl's output."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pulse import MIC, SPEAKERS

from notes_app.audio.devices import PulseDevices
from notes_app.errors import AudioError


def fake_pactl(sources: list[dict], default_sink: str, default_source: str):
    def run(args: list[str]) -> str:
        if args[:1] == ["info"]:
            return f"Default Sink: {default_sink}\nDefault Source: {default_source}\n"
        return json.dumps(sources)

    return run


def src(name: str, monitor_of: str = "") -> dict:
    return {"index": 0, "name": name, "description": name.title(), "monitor_source": monitor_of}


def test_the_default_source_being_a_monitor_is_not_taken_as_the_mic():
    sources = [src("hdmi.monitor", "hdmi"), src("speakers.monitor", "speakers"), src("webcam")]
    choice = PulseDevices(fake_pactl(sources, "speakers", "speakers.monitor")).choose()
    assert choice.mic.name == "webcam"
    assert choice.system.name == "speakers.monitor"  # the default output's, not another's
    assert choice.problems == ()


def test_missing_sides_are_named_and_the_other_goes_on():
    only_mic = PulseDevices(fake_pactl([src("webcam")], "speakers", "webcam")).choose()
    assert only_mic.mic.name == "webcam" and only_mic.system is None
    assert "only your mic" in only_mic.problems[0]
    only_monitor = [src("speakers.monitor", "speakers")]
    no_mic = PulseDevices(fake_pactl(only_monitor, "speakers", "speakers.monitor")).choose()
    assert no_mic.mic is None and "No microphone" in no_mic.problems[0]


def test_a_mic_and_system_that_are_one_source_are_refused():
    sources = [src("speakers.monitor", "speakers")]
    finder = PulseDevices(fake_pactl(sources, "speakers", ""))
    with pytest.raises(AudioError, match="same source"):
        finder.choose(mic="speakers.monitor")


def test_an_unknown_device_name_lists_the_real_ones():
    finder = PulseDevices(fake_pactl([src("webcam")], "", "webcam"))
    with pytest.raises(AudioError, match="webcam"):
        finder.choose(mic="headset")


@pytest.mark.slow
def test_devices_command_on_a_real_server(pulse):
    out = subprocess.run(
        [sys.executable, "-m", "notes_app", "devices", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(out.stdout)
    assert data["mic"]["name"] == MIC
    assert data["system"]["name"] == f"{SPEAKERS}.monitor"
    kinds = {d["name"]: d["kind"] for d in data["inputs"]}
    assert kinds[MIC] == "mic" and kinds[f"{SPEAKERS}.monitor"] == "monitor"
    text = subprocess.run(
        [sys.executable, "-m", "notes_app", "devices"], capture_output=True, text=True, check=True
    ).stdout
    assert f"System audio (them): {SPEAKERS}.monitor" in text
