"""The share server's own store: a SQLite file in its data folder, or PostgreSQL.

store.py holds every statement (written once for both databases), schema.py the migrations,
sqlite.py and postgres.py the connections. This package and the desktop's ``store/`` are the
only places with SQL.
"""

from notes_app.share.proof import hash_token
from notes_app.share.snapshots.records import QuotaExceeded, ShareInfo, StoredShare, TokenInfo
from notes_app.share.snapshots.schema import migrations
from notes_app.share.snapshots.sqlite import DB_FILE
from notes_app.share.snapshots.store import SnapshotStore, is_database_url, redact

__all__ = [
    "DB_FILE",
    "QuotaExceeded",
    "ShareInfo",
    "SnapshotStore",
    "StoredShare",
    "TokenInfo",
    "hash_token",
    "is_database_url",
    "migrations",
    "redact",
]
