"""Errors a user can act on.

Every message says what happened and what to do next. The CLI prints one line and exits
non-zero; the window shows one dialog. Nothing else catches these.
"""

from __future__ import annotations


class NotesAppError(Exception):
    """Base class: ``str(err)`` is a sentence meant for the user."""

    exit_code = 1


class ConfigError(NotesAppError):
    """A setting is unknown or has a value that cannot be used."""


class MeetingNotFound(NotesAppError):
    def __init__(self, meeting_id: object):
        super().__init__(
            f"No meeting with id {meeting_id}. Run `notes-app list` to see your meetings."
        )
        self.meeting_id = meeting_id


class StorageError(NotesAppError):
    """The database or a data file could not be read or written (full disk, permissions)."""


class AudioError(NotesAppError):
    """An audio file cannot be decoded, or a device cannot be opened."""


class ModelNotFound(NotesAppError):
    """A Whisper model could not be located."""


class TranscriptFormatError(NotesAppError):
    """A transcript file is malformed; the message names the file and line."""

    def __init__(self, path: object, line: int | None, problem: str):
        where = f"{path}, line {line}" if line else f"{path}"
        super().__init__(f"Cannot read transcript {where}: {problem}. Nothing was imported.")
        self.path = path
        self.line = line
        self.problem = problem


class LLMError(NotesAppError):
    """The language-model endpoint failed or answered something unusable."""


class ShareError(NotesAppError):
    """Publishing, listing or revoking a share link failed."""
