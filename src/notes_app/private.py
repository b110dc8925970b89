"""The data folder is the user's alone: the folder 0700, the files in it 0600.

Notes, transcripts, recordings, logs and (without a keyring) an API key live there, so no other
local user may read any of it. Files are created private where the app creates them, and
``secure_data_folder`` tightens what an earlier version (or a generous umask) left readable,
each time the settings are loaded. On Windows the folder's ACL already belongs to the user.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
# What lives directly in the data folder and in its private sub-folders.
PRIVATE_FILES = ("notes.db", "notes.db-wal", "notes.db-shm", "settings.toml")
PRIVATE_DIRS = ("audio", "logs")

log = logging.getLogger(__name__)


def _posix() -> bool:
    return os.name == "posix"


def tighten(path: Path, mode: int) -> None:
    """``path`` (if it exists) made no more open than ``mode``; refusal is logged, not raised."""
    if not _posix():
        return
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError:
        log.warning("Could not check who may read %s", path, exc_info=True)
        return
    current = stat.S_IMODE(info.st_mode)
    if stat.S_ISLNK(info.st_mode) or current & ~mode == 0:
        return  # a link's target is not ours to change
    try:
        os.chmod(path, current & mode)
    except OSError:
        log.warning("Could not make %s private (mode %o)", path, current, exc_info=True)


def private_dir(path: Path) -> Path:
    """``path`` created if needed (parents as usual), and itself readable only by the user."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    tighten(path, DIR_MODE)
    return path


def write_atomic(
    path: Path, data: bytes, *, mode: int = FILE_MODE, tmp: Path | None = None
) -> None:
    """``data`` at ``path``, never half-written: written to ``tmp`` (default ``path`` + ".tmp",
    created with ``mode``), flushed to disk, then renamed over ``path``. On failure the
    temporary file is removed and the OSError raised for the caller to say what it means."""
    tmp = tmp or path.with_name(path.name + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()  # a full disk leaves no empty temporary file behind
        raise


def create_private(path: Path) -> Path:
    """An empty file at ``path`` created 0600 if there is none; an existing one tightened."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    except FileExistsError:
        tighten(path, FILE_MODE)
    else:
        os.close(fd)
    return path


def secure_data_folder(home: Path) -> None:
    """Tighten the data folder, its database, settings, audio and logs (when they exist)."""
    home = Path(home)
    if not _posix() or not home.is_dir():
        return
    tighten(home, DIR_MODE)
    for name in PRIVATE_FILES:
        tighten(home / name, FILE_MODE)
    for name in PRIVATE_DIRS:
        folder = home / name
        if not folder.is_dir():
            continue
        tighten(folder, DIR_MODE)
        try:
            entries = list(os.scandir(folder))
        except OSError:
            log.warning("Could not list %s to make its files private", folder, exc_info=True)
            continue
        for entry in entries:
            if entry.is_file(follow_symlinks=False):
                tighten(Path(entry.path), FILE_MODE)
