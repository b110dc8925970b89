"""A copy of an audio file the user transcribed, in the app's audio folder.

The audio is copied under a fresh name, so playback keeps working when the user moves the
original and ``delete`` can remove it. Storing the meeting is the use-case layer's
(``App.save_transcribed``): the copy is made under a temporary name (``<name>.part``, with a
lock naming the copying process) and takes its own name only inside the transaction that stores
the meeting. A process killed on the way leaves a ``.part`` whose process is gone, which
``recover`` removes.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from notes_app.audio.spool import lock_path, write_lock
from notes_app.errors import StorageError
from notes_app.private import create_private, private_dir

PART = ".part"


def copy_audio(source: Path, audio_dir: Path) -> Path:
    """``source`` copied to ``audio_dir/<uuid>.<ext>.part``; ``commit_copy`` names it."""
    part = audio_dir / f"{uuid.uuid4().hex}{source.suffix.lower()}{PART}"
    try:
        private_dir(audio_dir)
        write_lock(part)  # first, so the copy is never without the process that owns it
        shutil.copyfile(source, create_private(part))  # 0600 before a byte is written
    except OSError as e:
        discard_copy(part)
        raise StorageError(
            f"Could not copy {source} into {audio_dir}: {e.strerror or e}. Free disk space or "
            "check permissions; nothing was saved."
        ) from None
    return part


def final_path(part: Path) -> Path:
    """The name a copy has once its meeting is stored."""
    return part.with_name(part.name.removesuffix(PART))


def commit_copy(part: Path) -> Path:
    """The copy under its own name (call inside the transaction storing its meeting)."""
    target = final_path(part)
    try:
        os.replace(part, target)
        os.utime(target)  # fresh: an unreferenced copy this new may still be committing
    except OSError as e:
        raise StorageError(
            f"Could not name the audio copy {target}: {e.strerror or e}; nothing was saved."
        ) from None
    lock_path(part).unlink(missing_ok=True)
    return target


def discard_copy(part: Path) -> None:
    """The copy and its lock removed, under either name."""
    for path in (part, final_path(part), lock_path(part)):
        path.unlink(missing_ok=True)
