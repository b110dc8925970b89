"""Open the database: one SQLite file, WAL mode, append-only migrations applied on every open.

Migrations are only ever appended to this list; an existing one is never edited, because users'
databases have already run it. Each runs in a transaction with the record that it ran.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from notes_app.errors import StorageError
from notes_app.private import FILE_MODE, create_private, private_dir, tighten
from notes_app.store.damage import (
    DatabaseDamaged,
    GuardedConnection,
    check_before_first_write,
    damaged_sentence,
    damaged_warning,
    is_damage,
    recorded_damage,
)

migrations = Migrations("notes_app")
log = logging.getLogger(__name__)
# sqlite-utils plugins installed for its command line are not run on the app's connections: the
# database is the app's own, and finding them reads every installed package's metadata (some
# 50 ms at start-up).
PLUGINS = False


@migrations()
def m001_core(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE meetings (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            started_at TEXT,
            ended_at TEXT,
            duration REAL,
            language TEXT,
            audio_path TEXT,
            status TEXT NOT NULL DEFAULT 'done',
            attendees TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )
    # The user's notes exactly as typed. Enhancement never writes here.
    db.execute(
        """
        CREATE TABLE raw_notes (
            meeting_id INTEGER PRIMARY KEY REFERENCES meetings(id) ON DELETE CASCADE,
            text TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE segments (
            meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            start REAL NOT NULL,
            end REAL NOT NULL,
            speaker TEXT,
            channel INTEGER,
            text TEXT NOT NULL,
            PRIMARY KEY (meeting_id, idx)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE enhanced_notes (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            mode TEXT NOT NULL,
            model TEXT,
            template TEXT,
            blocks TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (meeting_id, version)
        )
        """
    )
    db.execute("CREATE INDEX meetings_started ON meetings(started_at)")


@migrations()
def m002_search(db: sqlite_utils.Database) -> None:
    # The schema lives with the code that queries it; imported here to keep this list readable.
    from notes_app.store.search import install_search_schema

    install_search_schema(db)


@migrations()
def m003_ask_history(db: sqlite_utils.Database) -> None:
    from notes_app.store.chat import install_chat_schema

    install_chat_schema(db)


@migrations()
def m004_shares(db: sqlite_utils.Database) -> None:
    from notes_app.store.shares import install_shares_schema

    install_shares_schema(db)


@migrations()
def m005_segment_vectors(db: sqlite_utils.Database) -> None:
    from notes_app.store.vectors import install_vectors_schema

    install_vectors_schema(db)


@migrations()
def m006_agenda(db: sqlite_utils.Database) -> None:
    # The notes already typed when the recording started: an agenda, not facts heard.
    db.execute("ALTER TABLE raw_notes ADD COLUMN agenda TEXT")


@migrations()
def m007_folders_tags(db: sqlite_utils.Database) -> None:
    # A meeting's folder ("Clients/Acme") and tags; both NULL for meetings from before.
    from notes_app.store.folders import install_folders_schema

    install_folders_schema(db)


def rows(db: sqlite_utils.Database, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Every row of a query as a dict keyed by column name."""
    return list(db.query(sql, list(params)))


def one(db: sqlite_utils.Database, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
    """The first row of a query as a dict, or None when there is none."""
    found = rows(db, sql, params)
    return found[0] if found else None


SAVE_FAILED = (
    "Could not save to the database: {error}. Free disk space or close other copies of the app, "
    "then try again; nothing was changed."
)


@contextmanager
def transaction(db: sqlite_utils.Database, failed: str = SAVE_FAILED) -> Iterator[None]:
    """One write transaction; inside another it nests as a savepoint.

    It begins IMMEDIATE: the write lock is taken (waiting out the busy timeout) before the
    first read, so another process committing in between cannot leave this one holding a
    stale snapshot, which SQLite reports as "database is locked" at once, without waiting.
    A full disk or a file locked for longer becomes a StorageError made from ``failed``
    (``{error}`` stands for SQLite's own words).
    """
    reason = read_only(db)
    if reason:
        raise StorageError(f"Nothing was saved: {reason[0].lower()}{reason[1:]}")
    if not db.conn.in_transaction:
        check_before_first_write(db.conn)  # never write into a damaged file
    try:
        if db.conn.in_transaction:
            with db.atomic():
                yield
            return
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            db.conn.rollback()
            raise
        try:
            db.conn.execute("COMMIT")
        except BaseException:
            db.conn.rollback()
            raise
    except sqlite3.OperationalError as e:
        raise StorageError(failed.format(error=e)) from None


def open_db(path: Path | str, *, apply: bool = True) -> sqlite_utils.Database:
    """Open (creating if needed) the database at ``path`` and bring its schema up to date.

    When it cannot be written (a full disk, a read-only folder) but exists, it is opened
    read-only instead, so notes can always be read: ``read_only(db)`` then holds the reason,
    and every write transaction fails with it, changing nothing. A database found damaged
    (now, or by an earlier run) is opened read-only the same way (store/damage.py).
    """
    path = Path(path)
    damage = recorded_damage(path) if path.is_file() else None
    if damage:
        return _open_read_only(path, damaged_sentence(path, damage), damaged_warning(path))
    try:
        private_dir(path.parent)
        create_private(path)  # SQLite gives its -wal and -shm files the database's mode
        for suffix in ("-wal", "-shm"):
            tighten(Path(f"{path}{suffix}"), FILE_MODE)
    except OSError as e:
        if path.is_file():
            return _open_read_only(path, _why_not_writable(path, e.strerror or str(e)))
        raise StorageError(f"Cannot create the data folder {path.parent}: {e.strerror}.") from None
    conn = None
    try:
        conn = _connect(str(path), path)
        db = sqlite_utils.Database(conn, execute_plugins=PLUGINS)
        db.execute("PRAGMA foreign_keys = ON")
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; a crash loses no commit
        if apply:
            migrations.apply(db)
    except sqlite3.DatabaseError as e:
        if conn is not None:
            conn.close()
        if is_damage(e):
            problem = e.problem if isinstance(e, DatabaseDamaged) else str(e)
            return _open_read_only(path, damaged_sentence(path, problem), damaged_warning(path))
        if _cannot_write(e) and path.is_file() and path.stat().st_size > 0:
            return _open_read_only(path, _why_not_writable(path, str(e)))
        raise StorageError(
            f"Cannot open the database {path}: {e}. If the disk is full, free some space; "
            "if the file is damaged, restore it from a backup."
        ) from None
    return db


# --- read-only: notes stay readable when nothing can be written --------------------------------

# SQLite's primary result codes for "this cannot be written here".
_NOT_WRITABLE = {
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_PERM,
}
# Less free space than this is a full disk: SQLite needs room for its shared-memory index.
FULL_BELOW_BYTES = 256 * 1024
_warned: set[tuple[str, str]] = set()


def _cannot_write(error: sqlite3.DatabaseError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _NOT_WRITABLE


def _why_not_writable(path: Path, error: str) -> str:
    try:
        full = shutil.disk_usage(path.parent).free < FULL_BELOW_BYTES
    except OSError:
        full = False
    if full:
        return (
            f"the disk holding {path.parent} is full, so your notes are open read-only: "
            "reading, searching and asking work, but nothing can be saved until you free "
            "some space"
        )
    return (
        f"{path} cannot be written ({error}), so your notes are open read-only: reading, "
        "searching and asking work, but nothing can be saved until the folder is writable"
    )


def _open_read_only(path: Path, reason: str, warning: str | None = None) -> sqlite_utils.Database:
    """``path`` opened for reading: through SQLite's shared index when it can be used, else as
    an unchanging file (then commits still waiting in the -wal file do not show). ``reason``
    is what a write is told; ``warning`` (default: the reason) is said once on opening."""
    last: sqlite3.DatabaseError | None = None
    wal = Path(f"{path}-wal")
    waiting = wal.is_file() and wal.stat().st_size > 0
    for query in ("mode=ro", "immutable=1"):
        conn = None
        try:
            conn = _connect(f"{path.as_uri()}?{query}", path, uri=True)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as e:
            if conn is not None:
                conn.close()
            last = e
            continue
        if query == "immutable=1" and waiting:
            reason += " (the very latest changes may show only once it can be written again)"
        conn.read_only = reason[0].upper() + reason[1:].rstrip(".") + "."
        said = warning or conn.read_only
        if (str(path), said) not in _warned:
            _warned.add((str(path), said))
            log.warning("%s", said)
        return sqlite_utils.Database(conn, execute_plugins=PLUGINS)
    if last is not None and is_damage(last):
        raise DatabaseDamaged(path, str(last))
    raise StorageError(
        f"Cannot open the database {path} even to read it ({last}). "
        + reason[0].upper()
        + reason[1:]
        + "."
    ) from None


def read_only(db: sqlite_utils.Database) -> str | None:
    """Why ``db`` is open read-only (a sentence), or None when it can be written."""
    return getattr(db.conn, "read_only", None)


def _connect(target: str, path: Path, *, uri: bool = False) -> GuardedConnection:
    conn = sqlite3.connect(
        target, uri=uri, timeout=30, check_same_thread=False, factory=GuardedConnection
    )
    assert isinstance(conn, GuardedConnection)
    conn.path = path
    return conn
