"""Storing a transcribed audio file as a meeting, audio included, all or nothing.

The audio is copied into the app's audio folder under a fresh name, so playback keeps working
when the user moves the original and ``delete`` can remove it. If storing the meeting fails,
the copy is removed again: a failure leaves neither a meeting nor a stray file.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from notes_app.domain import Transcript
from notes_app.errors import StorageError
from notes_app.store.repo import Repo


def copy_audio(source: Path, audio_dir: Path) -> Path:
    """``source`` copied to ``audio_dir/<uuid>.<ext>``."""
    target = audio_dir / f"{uuid.uuid4().hex}{source.suffix.lower()}"
    try:
        audio_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    except OSError as e:
        target.unlink(missing_ok=True)
        raise StorageError(
            f"Could not copy {source} into {audio_dir}: {e.strerror or e}. Free disk space or "
            "check permissions; nothing was saved."
        ) from None
    return target


def save_transcribed_meeting(
    repo: Repo,
    *,
    audio_dir: Path,
    source: Path,
    transcript: Transcript,
    duration: float,
    title: str,
    notes: str = "",
) -> int:
    """One new meeting holding the transcript, the notes and a copy of the audio; its id."""
    copied = copy_audio(source, audio_dir)
    try:
        return repo.create_meeting(
            title,
            duration=duration,
            language=transcript.language,
            audio_path=str(copied),
            notes=notes,
            segments=transcript.segments,
        )
    except BaseException:
        copied.unlink(missing_ok=True)
        raise
