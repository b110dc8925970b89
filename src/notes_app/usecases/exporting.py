"""Exporting a folder's meetings at once: one file each, named ``YYYY-MM-DD Title.md``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from notes_app.domain import Meeting
from notes_app.errors import NotesAppError, StorageError
from notes_app.usecases.filenames import meeting_stem, numbered

if TYPE_CHECKING:
    from notes_app.app import App


@dataclass(frozen=True)
class FolderExport:
    written: list[tuple[Meeting, Path]] = field(default_factory=list)
    not_enhanced: list[Meeting] = field(default_factory=list)  # nothing to export yet


def export_folder(app: App, folder: str, fmt: str, directory: Path) -> FolderExport:
    """Every enhanced meeting in ``folder`` (and the folders inside it) written to
    ``directory`` as ``YYYY-MM-DD Title.<fmt>``; a file of that name there is replaced, two
    meetings of one day and title become ``… (2)``."""
    meetings = app.repo.list_meetings(folder=folder)
    if not meetings:
        raise NotesAppError(
            f"No meetings in the folder “{folder}”. `notes-app folders` lists your folders."
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StorageError(
            f"Could not make the folder {directory}: {e.strerror}. Choose another place."
        ) from None
    done = FolderExport()
    taken: set[Path] = set()
    for meeting in meetings:
        if app.repo.get_enhanced(meeting.id) is None:
            done.not_enhanced.append(meeting)
            continue
        stem, n = meeting_stem(meeting), 1
        while numbered(directory, stem, f".{fmt}", n) in taken:
            n += 1
        path = numbered(directory, stem, f".{fmt}", n)
        taken.add(path)
        done.written.append((meeting, app.export_file(meeting.id, fmt, path)))
    return done
