"""The share server's store in one SQLite file in its data folder (``--data DIR``, the default).

Two connections: the writer (every write, and the small reads, one at a time) and a reader for
content, which may be large, so a big snapshot being read never holds up a page's lookup.
``secure_delete`` zeroes what is deleted and the write-ahead log is truncated after content is
deleted, so revoked words do not linger in the file or its log. Several processes (``serve
--workers N``) may open the same file: writes take SQLite's lock, waiting up to 30 seconds.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from notes_app.errors import StorageError
from notes_app.share.snapshots.schema import migrations
from notes_app.store.db import transaction

DB_FILE = "shares.db"
SAVE_FAILED = "The share server could not save: {error}. Free disk space and try again."


class SqliteBackend:
    dialect = "sqlite"
    lock_rows = ""  # a write transaction holds the whole file's lock already

    def __init__(self, folder: Path):
        self.path = Path(folder) / DB_FILE
        self.where = str(self.path)
        self._lock = threading.Lock()  # the writer connection
        self._read_lock = threading.Lock()  # the reader connection
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.db = self._connect()
            self.db.enable_wal()
            self.db.execute("PRAGMA synchronous = NORMAL")
            migrations.apply(self.db)
            self._reader = self._connect()
            for name in (DB_FILE, DB_FILE + "-wal", DB_FILE + "-shm"):
                if (self.path.parent / name).exists():
                    (self.path.parent / name).chmod(0o600)
        except (sqlite3.DatabaseError, OSError) as e:
            raise StorageError(
                f"Cannot open the share server's database {self.path}: {e}. Check the --data "
                "folder exists and is writable."
            ) from None

    def _connect(self) -> sqlite_utils.Database:
        conn = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
        conn.execute("PRAGMA secure_delete = ON")  # deleted content is zeroed, not left behind
        return sqlite_utils.Database(conn)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A small read: one statement on the writer connection."""
        with self._lock:
            return self.db.conn.execute(sql, params).fetchall()

    def content(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A read of content, which may be large: on the reader connection."""
        with self._read_lock:
            return self._reader.conn.execute(sql, params).fetchall()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, serialised with every other use of the writer connection."""
        with self._lock, transaction(self.db, SAVE_FAILED):
            yield self.db.conn

    def deleted_content(self) -> None:
        """After content was deleted: the log still holds copies of its pages until reset."""
        with self._lock:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def set_trace(self, callback: Callable[[str], None] | None) -> None:
        """Every statement either connection runs, to ``callback`` (for tests)."""
        self.db.conn.set_trace_callback(callback)
        self._reader.conn.set_trace_callback(callback)

    def close(self) -> None:
        self._reader.conn.close()
        self.db.conn.close()
