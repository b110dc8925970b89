"""The sample meeting that ships with the app (resources/sample/): a two-voice stereo call,
left = me, right = them, and the terse notes typed during it.

`notes-app demo` and the screenshot script both build it through ``build_sample_meeting``:
transcribe with the given engine → store with a copy of the audio → enhance offline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from notes_app.audio.decode import AudioInfo, probe
from notes_app.domain import EnhancedNotes, Transcript
from notes_app.enhance.offline import enhance_offline
from notes_app.store.repo import Repo
from notes_app.transcribe.engine import WhisperEngine
from notes_app.transcribe.save import save_transcribed_meeting

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


def build_sample_meeting(
    repo: Repo,
    *,
    audio_dir: Path,
    engine: WhisperEngine,
    language: str | None,
    on_progress: Callable[[float, float], None] | None = None,
) -> SampleMeeting:
    """Transcribe, store and enhance the sample; returns the stored meeting and its notes."""
    notes = sample_notes()
    with sample_audio() as audio:
        info = probe(audio)
        transcript = engine.transcribe_file(audio, language=language, on_progress=on_progress)
        meeting_id = save_transcribed_meeting(
            repo,
            audio_dir=audio_dir,
            source=audio,
            transcript=transcript,
            duration=info.duration,
            title=SAMPLE_TITLE,
            notes=notes,
        )
    repo.update_meeting(meeting_id, attendees=list(SAMPLE_ATTENDEES))
    enhanced = repo.add_enhanced(
        enhance_offline(transcript, notes, meeting_id=meeting_id, title=SAMPLE_TITLE)
    )
    return SampleMeeting(meeting_id, notes, transcript, enhanced)
