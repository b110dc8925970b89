"""Finding the two inputs of a meeting: the user's microphone and the system audio.

One interface (``DeviceFinder``), one implementation per platform:

- Linux: PulseAudio or PipeWire (through its PulseAudio server). The system audio is the monitor
  of the default output sink. Some apps pick "the default source" and get a monitor, or pick "a
  monitor" and get the mic again; we check both ways: the system source must be the monitor *of
  an output sink*, and the mic must not be a monitor. Streams open through PortAudio's ALSA
  ``pulse`` device with ``PULSE_SOURCE`` naming the source, so PulseAudio itself resamples to
  16 kHz mono.
- Windows: WASAPI. Recent PortAudio builds list loopback inputs of outputs with a ``[Loopback]``
  suffix; when the installed build has none, we say so and point at "Stereo Mix". This path is
  written from PortAudio's documentation and has not been run here (no Windows machine).
- macOS: no built-in loopback. A virtual device (BlackHole, Loopback, Soundflower) is used when
  present; otherwise the message says how to install one. Also not run here (no Mac).

Whatever is missing is named in ``DeviceChoice.problems`` and recording goes on with the rest.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from notes_app.errors import AudioError

log = logging.getLogger(__name__)

NONE = "none"  # a device setting that means "do not record this side"


@dataclass(frozen=True)
class InputDevice:
    """An input we can record from.

    ``open_device`` is what sounddevice's ``InputStream(device=...)`` gets; ``env`` holds the
    environment the stream must be opened under (PULSE_SOURCE on Linux).
    """

    name: str
    label: str
    kind: str  # "mic" or "monitor" (system audio)
    is_default: bool = False
    open_device: Any = None
    env: tuple[tuple[str, str], ...] = ()
    samplerate: float | None = None  # None: the device takes any rate (PulseAudio resamples)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "kind": self.kind,
            "default": self.is_default,
        }


@dataclass(frozen=True)
class DeviceChoice:
    mic: InputDevice | None
    system: InputDevice | None
    problems: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mic": self.mic.to_dict() if self.mic else None,
            "system": self.system.to_dict() if self.system else None,
            "problems": list(self.problems),
        }


class DeviceFinder(Protocol):
    def list_inputs(self) -> list[InputDevice]: ...

    def choose(self, mic: str = "", system: str = "") -> DeviceChoice: ...


def _pick(inputs: list[InputDevice], wanted: str, kind: str) -> InputDevice:
    """The input named ``wanted`` (exact name, else a unique substring of name or label)."""
    exact = [d for d in inputs if d.name == wanted]
    if exact:
        return exact[0]
    low = wanted.lower()
    partial = [d for d in inputs if low in d.name.lower() or low in d.label.lower()]
    if len(partial) == 1:
        return partial[0]
    names = ", ".join(d.name for d in inputs) or "none"
    how = "matches several inputs" if partial else "matches no input"
    raise AudioError(
        f"The {kind} device {wanted!r} {how}. Inputs here: {names}. "
        "Run `notes-app devices` and pass one of the names."
    )


# --- Linux ------------------------------------------------------------------------------------

Runner = Callable[[list[str]], str]


def run_pactl(args: list[str]) -> str:
    if shutil.which("pactl") is None:
        raise AudioError(
            "pactl was not found, so the sound server cannot be asked for its inputs. "
            "Install pulseaudio-utils (works with PulseAudio and PipeWire)."
        )
    try:
        done = subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        raise AudioError("The sound server did not answer within 10 s. Is it running?") from None
    if done.returncode != 0:
        raise AudioError(sound_server_problem(done.stderr))
    return done.stdout


# pactl's ways of saying no server answers: "Connection failure: Connection refused",
# "pa_context_connect() failed: …", a socket that is not there.
_NO_SERVER = re.compile(r"connection refused|pa_context_connect|connection failure|no such file")


def sound_server_problem(stderr: str) -> str:
    """What pactl's complaint means, in words a user can act on (its own text is logged)."""
    detail = " ".join(stderr.split()) or "pactl failed"
    log.warning("pactl failed: %s", detail)
    if _NO_SERVER.search(detail.lower()):
        return (
            "No sound server is running on this computer (PulseAudio or PipeWire), so there is "
            "no microphone or system audio to record. It normally starts with your desktop "
            "session; start it (e.g. `systemctl --user start pipewire-pulse` or "
            "`pulseaudio --start`), then try again. Notes and imported transcripts work "
            "meanwhile."
        )
    if "access denied" in detail.lower():
        return (
            "The sound server refused this app (access denied), so no microphone or system "
            "audio can be recorded. Check that the app runs as the logged-in desktop user."
        )
    return (
        f"The sound server did not answer ({detail}). Start PulseAudio or PipeWire, then try again."
    )


class PulseDevices:
    """PulseAudio / PipeWire through ``pactl``; ``run`` is injected for tests of the parsing."""

    def __init__(self, run: Runner = run_pactl):
        self.run = run

    def _sources(self) -> list[dict[str, Any]]:
        try:
            return json.loads(self.run(["-f", "json", "list", "sources"]))
        except (json.JSONDecodeError, AudioError):
            return self._sources_short()  # pactl older than 16 has no JSON output

    def _sources_short(self) -> list[dict[str, Any]]:
        rows = []
        for line in self.run(["list", "short", "sources"]).splitlines():
            parts = line.split("\t")
            if len(parts) >= 2:
                name = parts[1]
                sink = name[: -len(".monitor")] if name.endswith(".monitor") else ""
                rows.append({"name": name, "description": name, "monitor_of_sink": sink})
        return rows

    def _defaults(self) -> tuple[str, str]:
        sink = source = ""
        for line in self.run(["info"]).splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "Default Sink":
                sink = value.strip()
            elif key.strip() == "Default Source":
                source = value.strip()
        return sink, source

    def list_inputs(self) -> list[InputDevice]:
        _, default_source = self._defaults()
        inputs = []
        for s in self._sources():
            # pactl's JSON names a source's sink "monitor_source" (sic); newer ones may fix it.
            sink = s.get("monitor_of_sink") or s.get("monitor_source") or ""
            sink = "" if sink in ("n/a", "") else sink
            inputs.append(
                InputDevice(
                    name=s["name"],
                    label=s.get("description") or s["name"],
                    kind="monitor" if sink else "mic",
                    is_default=s["name"] == default_source,
                    open_device="pulse",
                    env=(("PULSE_SOURCE", s["name"]),),
                )
            )
        return inputs

    def monitor_sink(self, source: InputDevice) -> str:
        for s in self._sources():
            if s["name"] == source.name:
                return s.get("monitor_of_sink") or s.get("monitor_source") or ""
        return ""

    def choose(self, mic: str = "", system: str = "") -> DeviceChoice:
        inputs = self.list_inputs()
        default_sink, _ = self._defaults()
        problems: list[str] = []
        mic_dev = None if mic == NONE else self._mic(inputs, mic, problems)
        sys_dev = None if system == NONE else self._system(inputs, system, default_sink, problems)
        if mic_dev and sys_dev and mic_dev.name == sys_dev.name:
            raise AudioError(
                f"The mic and the system audio are the same source ({mic_dev.name}); the "
                "transcript could not tell you from them. Choose another mic with --mic."
            )
        return DeviceChoice(mic_dev, sys_dev, tuple(problems))

    def _mic(self, inputs: list[InputDevice], wanted: str, problems: list[str]):
        if wanted:
            return _pick(inputs, wanted, "mic")
        mics = [d for d in inputs if d.kind == "mic"]
        # The default source is often a monitor on headless set-ups; that is not a microphone.
        chosen = next((d for d in mics if d.is_default), mics[0] if mics else None)
        if chosen is None:
            problems.append(
                "No microphone found: recording only the system audio (them). Plug in or "
                "enable a mic and check `notes-app devices`."
            )
        return chosen

    def _system(self, inputs, wanted: str, default_sink: str, problems: list[str]):
        if wanted:
            dev = _pick(inputs, wanted, "system audio")
            if dev.kind != "monitor":
                problems.append(
                    f"{dev.name} is not the monitor of an output; it will be recorded as "
                    "'them' anyway, as asked."
                )
            return dev
        wanted_name = f"{default_sink}.monitor" if default_sink else ""
        for dev in inputs:
            if dev.kind == "monitor" and self.monitor_sink(dev) == default_sink:
                return dev
        for dev in inputs:
            if dev.name == wanted_name and dev.kind == "monitor":
                return dev
        problems.append(
            "No monitor of the default output found: recording only your mic (me). "
            "Check that an output device is selected in the sound settings."
        )
        return None


# --- Windows and macOS, through PortAudio -----------------------------------------------------

LOOPBACK_NAMES = re.compile(r"blackhole|loopback|soundflower|stereo mix|what u hear", re.I)


class PortAudioDevices:
    """Windows (WASAPI loopback) and macOS (a virtual loopback device), via sounddevice.

    Untested here: written against PortAudio's documented behaviour. On Windows, PortAudio
    v19.7+ lists each output's loopback as an input named "... [Loopback]" under the WASAPI
    host API; older builds (and sounddevice wheels that bundle one) do not, in which case
    the user can enable "Stereo Mix" or install a PortAudio with loopback support.
    """

    def __init__(self, sd: Any, platform: str = sys.platform):
        self.sd = sd
        self.platform = platform

    def list_inputs(self) -> list[InputDevice]:
        apis = self.sd.query_hostapis()
        default_in = self.sd.default.device[0]
        inputs = []
        for i, d in enumerate(self.sd.query_devices()):
            if d["max_input_channels"] < 1:
                continue
            api = apis[d["hostapi"]]["name"]
            if self.platform == "win32" and "WASAPI" not in api:
                continue  # one host API, so each device shows once
            is_loop = bool(LOOPBACK_NAMES.search(d["name"]))
            inputs.append(
                InputDevice(
                    name=d["name"],
                    label=f"{d['name']} ({api})",
                    kind="monitor" if is_loop else "mic",
                    is_default=i == default_in,
                    open_device=i,
                    samplerate=float(d["default_samplerate"]),
                )
            )
        return inputs

    def choose(self, mic: str = "", system: str = "") -> DeviceChoice:
        inputs = self.list_inputs()
        problems: list[str] = []
        mic_dev = sys_dev = None
        if mic != NONE:
            mics = [d for d in inputs if d.kind == "mic"]
            mic_dev = (
                _pick(inputs, mic, "mic")
                if mic
                else next((d for d in mics if d.is_default), mics[0] if mics else None)
            )
            if mic_dev is None:
                problems.append("No microphone found: recording only the system audio (them).")
        if system != NONE:
            loops = [d for d in inputs if d.kind == "monitor"]
            sys_dev = (
                _pick(inputs, system, "system audio") if system else (loops[0] if loops else None)
            )
            if sys_dev is None:
                problems.append(self._no_loopback_hint())
        return DeviceChoice(mic_dev, sys_dev, tuple(problems))

    def _no_loopback_hint(self) -> str:
        if self.platform == "darwin":
            return (
                "No system-audio device found: recording only your mic (me). macOS needs a "
                "loopback device: install BlackHole 2ch (brew install blackhole-2ch), create a "
                "Multi-Output Device with your speakers and BlackHole in Audio MIDI Setup, and "
                "make it the output."
            )
        return (
            "No WASAPI loopback input found: recording only your mic (me). Enable 'Stereo Mix' "
            "in the Sound control panel, or pass its name with --system."
        )


def finder_for_platform(sd: Any = None, platform: str = sys.platform) -> DeviceFinder:
    if platform.startswith("linux"):
        return PulseDevices()
    if sd is None:
        import sounddevice

        sd = sounddevice
    return PortAudioDevices(sd, platform)
