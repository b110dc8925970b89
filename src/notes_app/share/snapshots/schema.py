"""The share server's schema: one list of migrations, applied to SQLite and PostgreSQL alike.

Each migration is written once against ``SchemaDb`` (``execute`` and ``dialect``); the two
backends differ only where the databases do, and say so here: a column typed REAL becomes
DOUBLE PRECISION on PostgreSQL (its REAL is single precision, too coarse for a timestamp in
seconds), and the size of a text in bytes is ``octet_length`` there. On SQLite the migrations are
kept by ``sqlite_utils.migrations`` (as in every earlier version of the file); on PostgreSQL in
``share_migrations``, all in one transaction behind an advisory lock (postgres.py), so workers
starting at once migrate once. Append only: an applied migration is never edited.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import sqlite_utils
from sqlite_utils.migrations import Migrations

from notes_app.share.proof import key_id_of_hash

MIGRATION_SET = "notes_app_share_server"


class SchemaDb(Protocol):
    dialect: str  # "sqlite" or "postgresql"

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...


Migration = Callable[[SchemaDb], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def _migration(fn: Migration) -> Migration:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@_migration
def m001_tokens_and_shares(db: SchemaDb) -> None:
    db.execute(
        """
        CREATE TABLE tokens (
            hash TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            created_at REAL NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE shares (
            id TEXT PRIMARY KEY,
            token_hash TEXT NOT NULL REFERENCES tokens(hash),
            title TEXT NOT NULL,
            snapshot TEXT NOT NULL,
            include_transcript INTEGER NOT NULL,
            allow_questions INTEGER NOT NULL,
            created_at REAL NOT NULL,
            expires_at REAL,
            revoked_at REAL
        )
        """
    )
    db.execute("CREATE INDEX shares_token ON shares(token_hash)")


@_migration
def m002_content_apart_token_lifetimes(db: SchemaDb) -> None:
    """Content in its own table (revoking deletes it); tokens get a key id, expiry, revocation."""
    for column in ("key_id TEXT", "expires_at REAL", "revoked_at REAL"):
        db.execute(f"ALTER TABLE tokens ADD COLUMN {column}")
    for (token_hash,) in db.execute("SELECT hash FROM tokens"):
        db.execute(
            "UPDATE tokens SET key_id = ? WHERE hash = ?", [key_id_of_hash(token_hash), token_hash]
        )
    db.execute("CREATE UNIQUE INDEX tokens_key_id ON tokens(key_id)")
    db.execute(
        "CREATE TABLE share_content (id TEXT PRIMARY KEY, title TEXT NOT NULL,"
        " snapshot TEXT NOT NULL)"
    )
    db.execute(
        """
        CREATE TABLE shares_v2 (
            id TEXT PRIMARY KEY,
            token_hash TEXT NOT NULL REFERENCES tokens(hash),
            include_transcript INTEGER NOT NULL,
            allow_questions INTEGER NOT NULL,
            created_at REAL NOT NULL,
            expires_at REAL,
            revoked_at REAL,
            size INTEGER NOT NULL
        )
        """
    )
    db.execute(
        "INSERT INTO share_content (id, title, snapshot)"
        " SELECT id, title, snapshot FROM shares WHERE revoked_at IS NULL"
    )
    size = (
        "octet_length(snapshot)" if db.dialect == "postgresql" else "length(CAST(snapshot AS BLOB))"
    )
    db.execute(
        "INSERT INTO shares_v2 SELECT id, token_hash, include_transcript, allow_questions,"
        f" created_at, expires_at, revoked_at, {size} FROM shares"
    )
    db.execute("DROP TABLE shares")
    db.execute("ALTER TABLE shares_v2 RENAME TO shares")
    db.execute("CREATE INDEX shares_token ON shares(token_hash)")


@_migration
def m003_rate_limits_and_jobs(db: SchemaDb) -> None:
    """What several workers (or servers) on one database must agree on: each client's rate
    limit (its next "due" time, see ratelimit.py) and when a shared job is next due."""
    db.execute("CREATE TABLE rate_limits (key TEXT PRIMARY KEY, due REAL NOT NULL)")
    db.execute("CREATE INDEX rate_limits_due ON rate_limits(due)")
    db.execute("CREATE TABLE jobs (name TEXT PRIMARY KEY, next_run REAL NOT NULL)")


# --- SQLite: sqlite_utils keeps the record, as it always has ---------------------------------


class _SqliteSchema:
    dialect = "sqlite"

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.db.execute(sql, list(params)).fetchall()


def _on_sqlite(fn: Migration) -> Callable[[sqlite_utils.Database], None]:
    def run(db: sqlite_utils.Database) -> None:
        fn(_SqliteSchema(db))

    return run


migrations = Migrations(MIGRATION_SET)
for _name, _fn in MIGRATIONS:
    migrations(name=_name)(_on_sqlite(_fn))


# --- PostgreSQL: the same statements, with its type for a timestamp ---------------------------

_DDL = re.compile(r"^\s*(CREATE|ALTER)\b", re.IGNORECASE)
_REAL = re.compile(r"\bREAL\b")


def postgres_ddl(sql: str) -> str:
    """A CREATE or ALTER statement as PostgreSQL should run it (REAL → DOUBLE PRECISION)."""
    return _REAL.sub("DOUBLE PRECISION", sql) if _DDL.match(sql) else sql
