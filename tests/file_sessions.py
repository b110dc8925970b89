"""A recording session whose "devices" play two files through the real capture code.

Shared by the window's recording tests and the exit test's child process: the mic plays
``files["mic"]`` (me), the call plays ``files["call"]`` (them), at ``speed`` times real time.
"""

from __future__ import annotations

from typing import Any

from notes_app.audio.capture import Capture, FileInputModule
from notes_app.audio.devices import InputDevice
from notes_app.domain import CHANNEL_ME, CHANNEL_THEM
from notes_app.session import MeetingSession
from notes_app.store.repo import Repo


def file_session(
    settings: Any,
    bridge: Any,
    engine: Any,
    files: dict,
    *,
    keep_audio: bool = False,
    session_cls: type[MeetingSession] = MeetingSession,
    speed: float = 2.0,
    **extra: Any,
) -> MeetingSession:
    sd = FileInputModule(files, speed=speed)
    devices = {
        CHANNEL_ME: InputDevice("mic", "Test mic", "mic", open_device="mic"),
        CHANNEL_THEM: InputDevice("call", "Test call", "monitor", open_device="call"),
    }
    return session_cls(
        Repo.open(settings.db_path),
        engine,
        Capture(sd, devices, clock=sd.clock),
        audio_dir=settings.audio_dir,
        language="en",
        keep_audio=keep_audio,
        listener=bridge,
        **extra,
    )
