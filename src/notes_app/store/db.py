"""Open the database: one SQLite file, WAL mode, append-only migrations applied on every open.

Migrations are only ever appended to this list; an existing one is never edited, because users'
databases have already run it. Each runs in a transaction with the record that it ran
(sqlite-utils' ``Migrations``, its ``_sqlite_migrations`` table).

The app's connections are a ``Database``: the few conveniences of ``sqlite_utils.Database`` the
store uses (``execute``, ``query``, ``atomic``), with the same behaviour, on a plain sqlite3
connection. sqlite-utils itself is imported only when a migration is to be applied or its table
API is asked for (``db.utils``): importing it loads numpy as well when that is installed, some
0.1 s at every start of the window, for nothing once the schema is up to date.
"""

from __future__ import annotations

import functools
import logging
import secrets
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    import sqlite_utils
    from sqlite_utils.migrations import Migrations

log = logging.getLogger(__name__)
# sqlite-utils plugins installed for its command line are not run on the app's connections: the
# database is the app's own, and finding them reads every installed package's metadata (some
# 50 ms at start-up).
PLUGINS = False
MIGRATION_SET = "notes_app"

# Statements that end or start a transaction themselves (``execute`` leaves those alone).
_TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"}


class Database:
    """One connection to the app's database, used as ``sqlite_utils.Database`` is.

    ``execute`` commits a write made outside a transaction at once (as sqlite-utils 4 does, so
    a lone statement never leaves an implicit transaction open), ``query`` gives rows as dicts,
    ``atomic`` is a transaction that nests as a savepoint. Recursive triggers are on, as
    sqlite-utils sets them.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        conn.execute("PRAGMA recursive_triggers = on")

    def execute(
        self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None
    ) -> sqlite3.Cursor:
        was_in_transaction = self.conn.in_transaction
        try:
            if parameters is None:
                cursor = self.conn.execute(sql)
            else:
                cursor = self.conn.execute(sql, parameters)
        except Exception:
            if not was_in_transaction and self.conn.in_transaction:
                self.conn.execute("ROLLBACK")  # the implicit transaction the failure opened
            raise
        if (
            not was_in_transaction
            and self.conn.in_transaction
            and cursor.description is None
            and _first_keyword(sql) not in _TRANSACTION_CONTROL
        ):
            self.conn.execute("COMMIT")
        return cursor

    def query(
        self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """The rows of a statement that returns rows, each a dict keyed by column name."""
        was_in_transaction = self.conn.in_transaction
        cursor = self.execute(sql, params)
        if cursor.description is None:
            raise ValueError("query() is for SQL that returns rows; use execute() for the rest")
        keys = _unique_keys([d[0] for d in cursor.description])
        if not was_in_transaction and self.conn.in_transaction:
            # A write returning rows (INSERT … RETURNING): finish it and commit, as execute does.
            fetched = cursor.fetchall()
            self.conn.execute("COMMIT")
            return (dict(zip(keys, row, strict=True)) for row in fetched)
        return (dict(zip(keys, row, strict=True)) for row in cursor)

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        """A transaction; inside another, a savepoint. An exception rolls it back."""
        if self.conn.in_transaction:
            savepoint = f"notes_{secrets.token_hex(8)}"
            self.conn.execute(f"SAVEPOINT {savepoint}")
            try:
                yield self
            except BaseException:
                if self.conn.in_transaction:  # a RAISE(ROLLBACK) may have ended it already
                    self.conn.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
                    self.conn.execute(f"RELEASE SAVEPOINT {savepoint}")
                raise
            self.conn.execute(f"RELEASE SAVEPOINT {savepoint}")
            return
        self.conn.execute("BEGIN")
        try:
            yield self
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def enable_wal(self) -> None:
        """Write-ahead logging (outside a transaction, as the journal mode must change)."""
        if self.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            return
        level = self.conn.isolation_level
        try:
            self.conn.isolation_level = None
            self.execute("PRAGMA journal_mode = wal")
        finally:
            self.conn.isolation_level = level

    @functools.cached_property
    def utils(self) -> sqlite_utils.Database:
        """sqlite-utils' Database on this same connection (its table API, migrations),
        imported when first asked for."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn, execute_plugins=PLUGINS)

    def __getitem__(self, table: str) -> Any:
        """``db["name"]``: sqlite-utils' table API, as on its Database (used by migrations)."""
        return self.utils[table]

    def close(self) -> None:
        self.conn.close()


def _first_keyword(sql: str) -> str:
    """The statement's first keyword, upper-cased, after blanks and comments ("" if none)."""
    i, n = 0, len(sql)
    while i < n:
        if sql[i].isspace() or sql[i] in (";", "\ufeff"):
            i += 1
        elif sql.startswith("--", i):
            newline = sql.find("\n", i)
            if newline == -1:
                return ""
            i = newline + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end == -1:
                return ""
            i = end + 2
        else:
            break
    j = i
    while j < n and (sql[j].isalpha() or sql[j] == "_"):
        j += 1
    return sql[i:j].upper()


def _unique_keys(keys: list[str]) -> list[str]:
    """Column names made unique as sqlite-utils does: a repeated one gets _2, _3…"""
    if len(set(keys)) == len(keys):
        return keys
    taken, seen, unique = set(keys), set(), []
    for key in keys:
        if key in seen:
            new, suffix = key, 2
            while new in seen or new in taken:
                new, suffix = f"{key}_{suffix}", suffix + 1
            key = new
        seen.add(key)
        unique.append(key)
    return unique


if TYPE_CHECKING:
    # The store's helpers (rows, one, transaction) also serve the share server's own store,
    # which keeps sqlite-utils' Database.
    AnyDatabase = Database | sqlite_utils.Database


# --- migrations --------------------------------------------------------------------------------

Step = Callable[[Database], None]
_STEPS: list[Step] = []


def migration(step: Step) -> Step:
    """Append ``step`` to the schema's migrations (named by its function's name)."""
    _STEPS.append(step)
    return step


@functools.cache
def schema_migrations() -> Migrations:
    """The migrations as sqlite-utils' ``Migrations`` set (which imports sqlite-utils)."""
    from sqlite_utils.migrations import Migrations

    found = Migrations(MIGRATION_SET)
    for step in _STEPS:

        def run(db: sqlite_utils.Database | Database, step: Step = step) -> None:
            step(db if isinstance(db, Database) else Database(db.conn))

        run.__name__ = step.__name__
        found(name=step.__name__)(run)
    return found


def __getattr__(name: str) -> Any:
    # ``migrations``: the set, built on first use (tests apply part of it to older databases).
    if name == "migrations":
        return schema_migrations()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def pending_migrations(db: Database) -> list[str]:
    """The migrations not yet applied to ``db``, read with plain SQL (no sqlite-utils)."""
    has_table = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'"
    ).fetchone()
    applied = (
        {
            row[0]
            for row in db.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [MIGRATION_SET]
            )
        }
        if has_table
        else set()
    )
    return [step.__name__ for step in _STEPS if step.__name__ not in applied]


def apply_migrations(db: Database) -> None:
    """Bring the schema up to date; sqlite-utils is loaded only when something is pending."""
    if pending_migrations(db):
        schema_migrations().apply(db.utils)


@migration
def m001_core(db: Database) -> None:
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


@migration
def m002_search(db: Database) -> None:
    # The schema lives with the code that queries it; imported here to keep this list readable.
    from notes_app.store.search import install_search_schema

    install_search_schema(db)


@migration
def m003_ask_history(db: Database) -> None:
    from notes_app.store.chat import install_chat_schema

    install_chat_schema(db)


@migration
def m004_shares(db: Database) -> None:
    from notes_app.store.shares import install_shares_schema

    install_shares_schema(db)


@migration
def m005_segment_vectors(db: Database) -> None:
    from notes_app.store.vectors import install_vectors_schema

    install_vectors_schema(db)


@migration
def m006_agenda(db: Database) -> None:
    # The notes already typed when the recording started: an agenda, not facts heard.
    db.execute("ALTER TABLE raw_notes ADD COLUMN agenda TEXT")


@migration
def m007_folders_tags(db: Database) -> None:
    # A meeting's folder ("Clients/Acme") and tags; both NULL for meetings from before.
    from notes_app.store.folders import install_folders_schema

    install_folders_schema(db)


def rows(db: AnyDatabase, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Every row of a query as a dict keyed by column name."""
    return list(db.query(sql, list(params)))


def one(db: AnyDatabase, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
    """The first row of a query as a dict, or None when there is none."""
    found = rows(db, sql, params)
    return found[0] if found else None


SAVE_FAILED = (
    "Could not save to the database: {error}. Free disk space or close other copies of the app, "
    "then try again; nothing was changed."
)


@contextmanager
def transaction(db: AnyDatabase, failed: str = SAVE_FAILED) -> Iterator[None]:
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


def open_db(path: Path | str, *, apply: bool = True) -> Database:
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
        db = Database(conn)
        db.execute("PRAGMA foreign_keys = ON")
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; a crash loses no commit
        if apply:
            apply_migrations(db)
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


def _open_read_only(path: Path, reason: str, warning: str | None = None) -> Database:
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
        return Database(conn)
    if last is not None and is_damage(last):
        raise DatabaseDamaged(path, str(last))
    raise StorageError(
        f"Cannot open the database {path} even to read it ({last}). "
        + reason[0].upper()
        + reason[1:]
        + "."
    ) from None


def read_only(db: AnyDatabase) -> str | None:
    """Why ``db`` is open read-only (a sentence), or None when it can be written."""
    return getattr(db.conn, "read_only", None)


def _connect(target: str, path: Path, *, uri: bool = False) -> GuardedConnection:
    conn = sqlite3.connect(
        target, uri=uri, timeout=30, check_same_thread=False, factory=GuardedConnection
    )
    assert isinstance(conn, GuardedConnection)
    conn.path = path
    return conn
