"""Open the database: one SQLite file, WAL mode, append-only migrations applied on every open.

Migrations are only ever appended to this list; an existing one is never edited, because users'
databases have already run it. Each runs in a transaction with the record that it ran.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from notes_app.errors import StorageError
from notes_app.private import FILE_MODE, create_private, private_dir, tighten

migrations = Migrations("notes_app")


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
    """Open (creating if needed) the database at ``path`` and bring its schema up to date."""
    path = Path(path)
    try:
        private_dir(path.parent)
        create_private(path)  # SQLite gives its -wal and -shm files the database's mode
        for suffix in ("-wal", "-shm"):
            tighten(Path(f"{path}{suffix}"), FILE_MODE)
        conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        db = sqlite_utils.Database(conn)
        db.execute("PRAGMA foreign_keys = ON")
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; a crash loses no commit
        if apply:
            migrations.apply(db)
    except sqlite3.DatabaseError as e:
        raise StorageError(
            f"Cannot open the database {path}: {e}. If the disk is full, free some space; "
            "if the file is damaged, restore it from a backup."
        ) from None
    except OSError as e:
        raise StorageError(f"Cannot create the data folder {path.parent}: {e.strerror}.") from None
    return db
