"""The sample meeting that ships with the app (resources/sample/): a two-voice stereo call,
left = me, right = them, and the terse notes typed during it.

`notes-app demo` and the screenshot script both build it through ``App.demo``: transcribe →
store with a copy of the audio → enhance offline.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from notes_app.audio.decode import AudioInfo, probe
from notes_app.domain import EnhancedNotes, Transcript

SAMPLE_TITLE = "Demo: Q2 review with Sarah"
SAMPLE_ATTENDEES = ("Sarah",)


@dataclass(frozen=True)
class SampleMeeting:
    meeting_id: int
    notes: str
    transcript: Transcript
    enhanced: EnhancedNotes


def _folder():
    return resources.files("notes_app.resources") / "sample"


def sample_notes() -> str:
    return (_folder() / "notes.md").read_text(encoding="utf-8")


@contextmanager
def sample_audio() -> Iterator[Path]:
    """The sample recording as a real file (the package may be zipped)."""
    with resources.as_file(_folder() / "meeting.ogg") as path:
        yield path


def sample_info() -> AudioInfo:
    with sample_audio() as path:
        return probe(path)
