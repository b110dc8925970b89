"""Meeting detection: a call app holding the microphone means a meeting is probably on.

One interface, a ``MicUsers`` source per platform (who is using the mic right now), and one
``MeetingDetector`` that turns successive polls into "meeting started (app)" / "meeting ended"
events. It never records anything itself: the window asks the user, `notes-app watch` prints.

- Linux: the sound server's source outputs (``pactl list source-outputs``) name the application
  recording and the source it records from. Tested here against a real PulseAudio.
- Windows: the privacy "consent store" in the registry keeps, per app, when it last started and
  stopped using the mic; ``LastUsedTimeStop == 0`` means it is using it now. Written from
  Microsoft's documented layout; not run here (no Windows machine).
- macOS: Core Audio only tells whether the default input is running somewhere, not which app;
  the event then names "an app". Not run here (no Mac).

The clock and the source are injected, so tests move time instead of waiting.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from notes_app.audio.devices import Runner, run_pactl

MIN_HOLD = 15.0  # seconds an app must hold the mic before we call it a meeting
COOLDOWN = 300.0  # seconds after a prompt before the same app may prompt again

CALL_APPS = re.compile(
    r"zoom|teams|slack|discord|webex|skype|facetime|whatsapp|signal|telegram|gotomeeting|"
    r"bluejeans|jitsi|ringcentral|"
    r"chrome|chromium|firefox|msedge|\bedge\b|brave|opera|vivaldi|safari",
    re.I,
)
DICTATION_APPS = re.compile(r"dictat|talon|dragon|voice ?typing|speech-?to-?text|whisper", re.I)
OWN_APP = re.compile(r"notes-app|notes_app", re.I)


@dataclass(frozen=True)
class MicUser:
    app: str
    binary: str = ""
    pid: int | None = None


@dataclass(frozen=True)
class MeetingEvent:
    kind: str  # "started" or "ended"
    app: str
    at: float  # the detector's clock

    def to_dict(self) -> dict[str, Any]:
        return {"event": f"meeting_{self.kind}", "app": self.app, "at": self.at}

    def __str__(self) -> str:
        return f"meeting started ({self.app})" if self.kind == "started" else "meeting ended"


class MicUsers(Protocol):
    def __call__(self) -> list[MicUser]: ...


class PulseMicUsers:
    """Applications recording from a real input (not a monitor) on PulseAudio / PipeWire."""

    def __init__(self, run: Runner = run_pactl):
        self.run = run

    def __call__(self) -> list[MicUser]:
        monitors = {
            str(s["index"])
            for s in json.loads(self.run(["-f", "json", "list", "sources"]))
            if s.get("monitor_of_sink") or s.get("monitor_source")
        }
        users = []
        for out in json.loads(self.run(["-f", "json", "list", "source-outputs"])):
            if str(out.get("source")) in monitors:
                continue  # recording what the speakers play is not using the mic
            props = out.get("properties", {})
            pid = props.get("application.process.id")
            users.append(
                MicUser(
                    app=props.get("application.name", "") or props.get("media.name", ""),
                    binary=props.get("application.process.binary", ""),
                    pid=int(pid) if pid and str(pid).isdigit() else None,
                )
            )
        return users


class WindowsMicUsers:  # pragma: no cover - needs Windows
    """Apps whose consent-store entry says they are using the mic now (LastUsedTimeStop == 0)."""

    KEY = (
        r"Software\Microsoft\Windows\CurrentVersion\CapabilityAccessManager\ConsentStore\microphone"
    )

    def __call__(self) -> list[MicUser]:
        import winreg

        users: list[MicUser] = []
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, self.KEY) as root:  # type: ignore[attr-defined]
            self._scan(winreg, root, users)
            try:
                with winreg.OpenKey(root, "NonPackaged") as desktop:  # type: ignore[attr-defined]
                    self._scan(winreg, desktop, users)
            except OSError:
                pass
        return users

    def _scan(self, winreg, key, users: list[MicUser]) -> None:
        for i in range(winreg.QueryInfoKey(key)[0]):
            name = winreg.EnumKey(key, i)
            try:
                with winreg.OpenKey(key, name) as app:
                    stop, _ = winreg.QueryValueEx(app, "LastUsedTimeStop")
            except OSError:
                continue
            if stop == 0:
                # Desktop apps are stored by path with '#' for '\'; keep the file name.
                users.append(MicUser(app=name.replace("#", "\\").rsplit("\\", 1)[-1]))


class MacMicUsers:  # pragma: no cover - needs macOS
    """Whether the default input device is running somewhere (Core Audio); no app name."""

    def __call__(self) -> list[MicUser]:
        import ctypes
        import ctypes.util

        framework = "/System/Library/Frameworks/CoreAudio.framework/CoreAudio"
        ca = ctypes.cdll.LoadLibrary(ctypes.util.find_library("CoreAudio") or framework)

        class Address(ctypes.Structure):
            _fields_ = [
                ("selector", ctypes.c_uint32),
                ("scope", ctypes.c_uint32),
                ("element", ctypes.c_uint32),
            ]

        def fourcc(s: str) -> int:
            return int.from_bytes(s.encode(), "big")

        def get_u32(obj: int, selector: str) -> int:
            addr = Address(fourcc(selector), fourcc("glob"), 0)
            value, size = ctypes.c_uint32(0), ctypes.c_uint32(4)
            ca.AudioObjectGetPropertyData(
                obj, ctypes.byref(addr), 0, None, ctypes.byref(size), ctypes.byref(value)
            )
            return value.value

        system_object = 1
        device = get_u32(system_object, "dIn ")  # kAudioHardwarePropertyDefaultInputDevice
        running = get_u32(device, "gone") if device else 0  # ...DeviceIsRunningSomewhere
        return [MicUser(app="an app")] if running else []


def mic_users_for_platform(platform: str = sys.platform) -> MicUsers:
    if platform.startswith("linux"):
        return PulseMicUsers()
    if platform == "win32":
        return WindowsMicUsers()
    return MacMicUsers()


def call_app(user: MicUser, own_pid: int) -> str | None:
    """The call app's name if ``user`` is one we watch for, else None."""
    if user.pid == own_pid:
        return None
    name = f"{user.app} {user.binary}"
    if OWN_APP.search(name) or DICTATION_APPS.search(name):
        return None
    match = CALL_APPS.search(name)
    if match is None and user.app != "an app":
        return None
    return user.app or user.binary or (match.group(0) if match else "")


class MeetingDetector:
    """Polls a MicUsers source; ``poll()`` returns the events since the previous poll."""

    def __init__(
        self,
        source: MicUsers,
        *,
        clock: Callable[[], float] = time.monotonic,
        min_hold: float = MIN_HOLD,
        cooldown: float = COOLDOWN,
        own_pid: int | None = None,
    ):
        self.source = source
        self.clock = clock
        self.min_hold = min_hold
        self.cooldown = cooldown
        self.own_pid = os.getpid() if own_pid is None else own_pid
        self.first_seen: dict[str, float] = {}
        self.last_prompt: dict[str, float] = {}
        self.active: str | None = None

    def poll(self) -> list[MeetingEvent]:
        now = self.clock()
        holding = {a for u in self.source() if (a := call_app(u, self.own_pid))}
        for app in list(self.first_seen):
            if app not in holding:
                del self.first_seen[app]
        for app in holding:
            self.first_seen.setdefault(app, now)
        events = []
        if self.active is not None and self.active not in holding:
            events.append(MeetingEvent("ended", self.active, now))
            self.active = None
        if self.active is None:
            for app, since in sorted(self.first_seen.items(), key=lambda kv: kv[1]):
                if now - since >= self.min_hold and self._may_prompt(app, now):
                    self.active = app
                    self.last_prompt[app] = now
                    events.append(MeetingEvent("started", app, now))
                    break
        return events

    def _may_prompt(self, app: str, now: float) -> bool:
        last = self.last_prompt.get(app)
        return last is None or now - last >= self.cooldown
