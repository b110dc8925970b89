"""A private, real PulseAudio server for tests: a "mic" and "speakers" made of null sinks.

- ``speakers``: the default output; its monitor is the system audio ("them").
- ``mic_sink``: whatever is played into it comes out of ``test_mic``, a real input source
  (a remap of the sink's monitor), which is the default source: the "microphone" ("me").

The server runs in its own runtime folder, so it never meets a sound server already running on
the machine; ``env`` is what a process needs to talk to it (the fixture also sets it for this
process, so pactl and sounddevice calls in the tests reach it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

SPEAKERS = "speakers"
MIC_SINK = "mic_sink"
MIC = "test_mic"


class PulseServer:
    def __init__(self, runtime: Path):
        self.runtime = Path(runtime)
        self.env = {
            "PULSE_RUNTIME_PATH": str(self.runtime),
            "PULSE_STATE_PATH": str(self.runtime),
            "PULSE_SERVER": f"unix:{self.runtime / 'native'}",
        }

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            list(args),
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            check=check,
            timeout=30,
        )

    def start(self) -> PulseServer:
        for tool in ("pulseaudio", "pactl", "paplay", "parecord"):
            if shutil.which(tool) is None:
                pytest.fail(f"{tool} is missing; .ci/run installs pulseaudio and pulseaudio-utils.")
        self.runtime.mkdir(parents=True, exist_ok=True)
        self._run(
            "pulseaudio",
            "-D",
            "-n",
            "--exit-idle-time=-1",
            "--daemonize=yes",
            "--load=module-native-protocol-unix",
            f"--load=module-null-sink sink_name={SPEAKERS} "
            "sink_properties=device.description=Speakers",
            f"--load=module-null-sink sink_name={MIC_SINK}",
            f"--load=module-remap-source master={MIC_SINK}.monitor source_name={MIC} "
            "source_properties=device.description=Test_Microphone",
        )
        deadline = time.monotonic() + 10
        while self._run("pactl", "info", check=False).returncode != 0:
            if time.monotonic() > deadline:
                pytest.fail("The test PulseAudio server did not come up within 10 s.")
            time.sleep(0.1)
        self._run("pactl", "set-default-sink", SPEAKERS)
        self._run("pactl", "set-default-source", MIC)
        return self

    def stop(self) -> None:
        self._run("pactl", "exit", check=False)

    def play(self, wav: Path, *, sink: str) -> subprocess.Popen:
        """Start playing ``wav`` into ``sink``; returns the paplay process (wait() on it)."""
        return subprocess.Popen(
            ["paplay", f"--device={sink}", str(wav)], env={**os.environ, **self.env}
        )

    def pactl(self, *args: str) -> str:
        return self._run("pactl", *args).stdout


@pytest.fixture(scope="session")
def pulse(tmp_path_factory):
    """One private PulseAudio server for the whole test session; the env points at it."""
    server = PulseServer(tmp_path_factory.mktemp("pulse")).start()
    saved = {k: os.environ.get(k) for k in server.env}
    os.environ.update(server.env)
    yield server
    server.stop()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
