"""A damaged database: found wherever SQLite notices it, said in one sentence, never written again.

Every connection the store opens is a ``GuardedConnection``: a query that meets a damaged page
(SQLite's "database disk image is malformed" or "file is not a database") raises
``DatabaseDamaged`` instead, a StorageError the command line and the window show as one
sentence. From then on the connection refuses to write, and a marker file beside the database
(``notes.db.damaged``) makes every later open read-only too, until ``notes-app repair`` has
built a new database from what can still be read.

Damage a read never touched would still take writes, so before its first write each process
runs ``PRAGMA quick_check`` once on the file (about 0.2 s for 150 MB).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from pathlib import Path

from notes_app.errors import StorageError

log = logging.getLogger(__name__)

_DAMAGE_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
MARKER_SUFFIX = ".damaged"
_checked: set[str] = set()
_checked_lock = threading.Lock()


class DatabaseDamaged(StorageError, sqlite3.DatabaseError):
    """The database file is damaged; it is a DatabaseError too, so SQLite's callers roll back
    as they would for SQLite's own error."""

    def __init__(self, path: str | Path, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(damaged_sentence(self.path, problem))


def damaged_sentence(path: Path, problem: str) -> str:
    return (
        f"The database {path} is damaged ({problem}). To keep what is left safe, nothing more "
        "is written to it. Run `notes-app repair` to save what can still be read into a new "
        f"database (the damaged file is kept), or restore {path.name} from a backup."
    )


def damaged_warning(path: Path) -> str:
    """Said once when a run opens a database known to be damaged."""
    return (
        f"{path} is damaged, so it is open read-only: what can still be read shows; "
        "`notes-app repair` saves it into a new database."
    )


def is_damage(error: BaseException) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(error, sqlite3.DatabaseError) and (
        (code is not None and code & 0xFF in _DAMAGE_CODES)
        or (code is None and "malformed" in str(error))
    )


def marker(path: Path) -> Path:
    return Path(f"{path}{MARKER_SUFFIX}")


def recorded_damage(path: Path) -> str | None:
    """What an earlier run found wrong with ``path`` (None when nothing was found)."""
    try:
        return marker(path).read_text(encoding="utf-8").strip() or "damage found earlier"
    except FileNotFoundError:
        return None
    except OSError:
        log.warning("Could not read %s", marker(path), exc_info=True)
        return "damage found earlier"


def record_damage(path: Path, problem: str) -> None:
    """Leave the marker that keeps later runs from writing (best effort: a full disk may not
    take it, then the next run finds the damage again)."""
    try:
        marker(path).write_text(problem + "\n", encoding="utf-8")
    except OSError:
        log.warning("Could not write %s", marker(path), exc_info=True)


def clear_damage(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        marker(path).unlink()
    forget_check(path)


def forget_check(path: Path) -> None:
    with _checked_lock:
        _checked.discard(str(path))


class GuardedCursor(sqlite3.Cursor):
    def execute(self, *args):  # type: ignore[override]
        try:
            return super().execute(*args)
        except sqlite3.DatabaseError as e:
            raise self._damaged(e) from None

    def executemany(self, *args):  # type: ignore[override]
        try:
            return super().executemany(*args)
        except sqlite3.DatabaseError as e:
            raise self._damaged(e) from None

    def __next__(self):
        try:
            return super().__next__()
        except sqlite3.DatabaseError as e:
            raise self._damaged(e) from None

    def _damaged(self, error: sqlite3.DatabaseError) -> sqlite3.DatabaseError:
        conn = self.connection
        if isinstance(error, DatabaseDamaged) or not is_damage(error):
            return error
        if isinstance(conn, GuardedConnection):
            return conn.damaged(str(error))
        return error


class GuardedConnection(sqlite3.Connection):
    """A connection whose queries turn damage into DatabaseDamaged (see the module's doc).

    ``read_only`` is None, or the sentence saying why nothing may be written."""

    path: Path | None = None
    read_only: str | None = None

    def cursor(self, factory=GuardedCursor):  # type: ignore[override]
        return super().cursor(factory)

    def execute(self, *args):  # type: ignore[override]
        return self.cursor().execute(*args)

    def executemany(self, *args):  # type: ignore[override]
        return self.cursor().executemany(*args)

    def damaged(self, problem: str) -> DatabaseDamaged:
        """Stop writing here and leave the marker; the error to raise."""
        path = self.path or Path("notes.db")
        error = DatabaseDamaged(path, problem)
        if self.read_only is None or "damaged" not in self.read_only:
            if self.path is not None:
                record_damage(self.path, problem)
            log.error("Database %s damaged: %s", path, problem, extra={"file_only": True})
        self.read_only = str(error)
        return error


def check_before_first_write(conn: sqlite3.Connection) -> None:
    """``PRAGMA quick_check`` once per process and file, before anything is written to it."""
    if not isinstance(conn, GuardedConnection) or conn.path is None:
        return
    key = str(conn.path)
    with _checked_lock:
        if key in _checked:
            return
    problems = quick_check(conn)
    if problems:
        raise conn.damaged("; ".join(problems[:3]))
    with _checked_lock:
        _checked.add(key)


def quick_check(conn: sqlite3.Connection, limit: int = 20) -> list[str]:
    """What ``PRAGMA quick_check`` finds wrong (empty when the file is sound)."""
    try:
        found = [row[0] for row in sqlite3.Connection.execute(conn, f"PRAGMA quick_check({limit})")]
    except sqlite3.DatabaseError as e:
        return [str(e)]
    if found == ["ok"]:
        return []
    lines = [line.strip() for row in found for line in str(row).splitlines()]
    return [line for line in lines if line and not line.startswith("***")] or ["damaged"]
