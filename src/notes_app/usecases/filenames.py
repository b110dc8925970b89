"""A meeting's file name: ``YYYY-MM-DD Title``, safe on every system and in wiki links."""

from __future__ import annotations

import re
from pathlib import Path

from notes_app.clock import local_time
from notes_app.domain import Meeting

# Characters Windows, macOS or Obsidian's [[links]] do not take in a file name.
_UNSAFE = re.compile(r'[\\/:*?"<>|#^\[\]\x00-\x1f]+')
MAX_TITLE = 80


def meeting_stem(meeting: Meeting) -> str:
    """``2025-03-04 Acme renewal``: the local day it started and its title, made safe."""
    when = local_time(meeting.started_at) or local_time(meeting.created_at)
    title = _UNSAFE.sub(" ", meeting.title)
    title = re.sub(r"\s+", " ", title).strip().strip(".") or f"Meeting {meeting.id}"
    if len(title) > MAX_TITLE:
        title = title[:MAX_TITLE].rstrip()
    return f"{when:%Y-%m-%d} {title}" if when else title


def numbered(folder: Path, stem: str, suffix: str, n: int) -> Path:
    """``stem.md`` for 1, ``stem (2).md`` for 2, and so on."""
    return folder / (f"{stem}{suffix}" if n == 1 else f"{stem} ({n}){suffix}")


def free_path(folder: Path, stem: str, suffix: str, taken: set[Path] | None = None) -> Path:
    """The first of ``stem.md``, ``stem (2).md``, … neither on disk nor in ``taken``."""
    n = 1
    while True:
        path = numbered(folder, stem, suffix, n)
        if not path.exists() and path not in (taken or set()):
            return path
        n += 1
