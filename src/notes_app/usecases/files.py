"""What the user hands in as files: their notes, and a transcript file's title and speakers."""

from __future__ import annotations

import re
from pathlib import Path

from notes_app.domain import ME, THEM, Transcript
from notes_app.errors import NotesAppError


def read_notes(path: Path) -> str:
    """The user's notes as typed. Unreadable notes stop the command before anything is stored."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        problem = "the file does not exist"
    except IsADirectoryError:
        problem = "this is a folder, not a file"
    except UnicodeDecodeError:
        problem = "the text is not UTF-8; save it as UTF-8 and try again"
    except OSError as e:
        problem = f"the file cannot be read ({e.strerror})"
    raise NotesAppError(f"Cannot read notes file {path}: {problem}. Nothing was stored.")


def title_from_filename(path: Path) -> str:
    """``team-sync_2024-05-01.vtt`` → ``Team sync 2024-05-01``: separators next to letters become
    spaces, so dates and version numbers keep their dashes and dots."""
    stem = re.sub(r"_+|(?<=[^\W\d_])[-.]+|[-.]+(?=[^\W\d_])", " ", path.stem)
    stem = " ".join(stem.split())
    if not stem:
        return "Imported meeting"
    return stem[0].upper() + stem[1:]


def attendees_of(transcript: Transcript) -> list[str]:
    """Named speakers in order of first appearance ("me"/"them" are channels, not people)."""
    names: dict[str, None] = {}
    for seg in transcript.segments:
        if seg.speaker and seg.speaker not in (ME, THEM):
            names.setdefault(seg.speaker)
    return list(names)
