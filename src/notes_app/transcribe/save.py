"""A copy of an audio file the user transcribed, in the app's audio folder.

The audio is copied under a fresh name, so playback keeps working when the user moves the
original and ``delete`` can remove it. Storing the meeting is the use-case layer's
(``App.save_transcribed``), which removes the copy again if that fails.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from notes_app.errors import StorageError


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
