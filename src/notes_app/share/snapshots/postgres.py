"""The share server's store in PostgreSQL (``serve --database postgresql://…``): for several
workers, or several machines, on one database.

psycopg 3 with a pool of connections per process (psycopg_pool), each in autocommit: a lookup
is one statement and one round trip, and writes run in explicit transactions. The statements are
the store's own, written once with ``?`` placeholders as SQLite takes them and turned into
psycopg's ``%s`` here. The schema comes from the same migrations as SQLite's (schema.py).

Deleting content: PostgreSQL has no ``secure_delete``. Deleted content is gone for every query
at once and the table is vacuumed after, but its bytes may stay in PostgreSQL's files and
write-ahead log until it reuses the space: keep such a database on an encrypted disk.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from notes_app.errors import StorageError
from notes_app.share.snapshots.schema import MIGRATION_SET, MIGRATIONS, postgres_ddl
from notes_app.share.snapshots.store import redact

POOL_SIZE = 8
CONNECT_SECONDS = 10
POOL_WAIT_SECONDS = 30
MIGRATION_LOCK = 0x6E6F746573  # the advisory lock migrations take: "notes"
SAVE_FAILED = "The share server could not save to its database {where}: {error}. Try again later."
UNREACHABLE = (
    "The share server cannot reach its database {where}: {error}. Check that PostgreSQL is "
    "running and accepts connections."
)

log = logging.getLogger(__name__)


class PostgresBackend:
    dialect = "postgresql"
    lock_rows = " FOR UPDATE"  # rows a transaction reads to change, held until it ends

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE):
        self.where = redact(url)
        self.path = None  # no file of ours: PostgreSQL keeps the data
        self._trace: Callable[[str], None] | None = None
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_SECONDS) as conn:
                apply_migrations(conn)
        except psycopg.Error as e:
            raise StorageError(
                f"Cannot open the share server's database {self.where}: {first_line(e)}. Check "
                "--database (postgresql://USER@HOST/DATABASE), that PostgreSQL is running and "
                "that the user may create tables in that database."
            ) from None
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True},
            open=False,
            timeout=POOL_WAIT_SECONDS,
            name="notes-app-share",
        )
        self.pool.open(wait=True, timeout=CONNECT_SECONDS)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """A small read: one statement, one round trip."""
        statement = self._statement(sql)
        try:
            with self.pool.connection() as conn:
                return conn.execute(statement, params).fetchall()
        except (psycopg.OperationalError, PoolTimeout) as e:
            raise StorageError(UNREACHABLE.format(where=self.where, error=first_line(e))) from None

    content = rows  # the pool has a connection for each reader, however large the read

    @contextmanager
    def write(self) -> Iterator[_Transaction]:
        """One transaction on a connection of the pool; committed when the block ends."""
        try:
            with self.pool.connection() as conn, conn.transaction():
                yield _Transaction(conn, self._statement)
        except (psycopg.OperationalError, PoolTimeout) as e:
            error = first_line(e)
            raise StorageError(SAVE_FAILED.format(where=self.where, error=error)) from None

    def deleted_content(self) -> None:
        """After content was deleted: VACUUM, so the table's pages drop the deleted rows now
        rather than whenever autovacuum comes by."""
        try:
            with self.pool.connection() as conn:
                conn.execute(self._statement("VACUUM share_content"))
        except psycopg.Error:
            log.warning("VACUUM after deleting share content failed.", exc_info=True)

    def set_trace(self, callback: Callable[[str], None] | None) -> None:
        """Every statement the store sends, to ``callback`` (for tests)."""
        self._trace = callback

    def close(self) -> None:
        self.pool.close()

    def _statement(self, sql: str) -> str:
        statement = placeholders(sql)
        if self._trace is not None:
            self._trace(statement)
        return statement


class _Transaction:
    """What a write block gets: ``execute`` as on an sqlite3 connection."""

    def __init__(self, conn: psycopg.Connection[Any], statement: Callable[[str], str]):
        self.conn = conn
        self._statement = statement

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        return self.conn.execute(self._statement(sql), params)


class _Schema:
    """A migration's view of a PostgreSQL connection (schema.SchemaDb)."""

    dialect = "postgresql"

    def __init__(self, conn: psycopg.Connection[Any]):
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cur = self.conn.execute(placeholders(postgres_ddl(sql)), params)
        return cur.fetchall() if cur.description is not None else []


def apply_migrations(conn: psycopg.Connection[Any], *, stop_before: str | None = None) -> None:
    """Apply the migrations not yet applied, all in one transaction; an advisory lock makes
    processes that start at once take turns (the second finds nothing left to do)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK])
        conn.execute(
            "CREATE TABLE IF NOT EXISTS share_migrations (migration_set TEXT NOT NULL,"
            " name TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (migration_set, name))"
        )
        done = {
            name
            for (name,) in conn.execute(
                "SELECT name FROM share_migrations WHERE migration_set = %s", [MIGRATION_SET]
            )
        }
        schema = _Schema(conn)
        for name, migration in MIGRATIONS:
            if name == stop_before:
                break
            if name in done:
                continue
            migration(schema)
            conn.execute(
                "INSERT INTO share_migrations (migration_set, name, applied_at)"
                " VALUES (%s, %s, now()::text)",
                [MIGRATION_SET, name],
            )


@functools.lru_cache(maxsize=512)
def placeholders(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0].rstrip(".") if text else type(error).__name__
