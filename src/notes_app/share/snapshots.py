"""The share server's store: API tokens and published snapshots, in the server's own SQLite file.

This is not the desktop database. A share server may run on another machine than any desktop
(and holds only what people chose to publish), so it keeps its own file in its data folder and
its own migrations; that is why this SQL lives here in ``share/`` rather than in ``store/``.

Tokens are kept only as SHA-256 hashes: a copy of this file does not let anyone publish. Time
comes from an injected clock (seconds since the epoch) so tests can move it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from notes_app.errors import ShareError, StorageError
from notes_app.share.model import ShareOptions, Snapshot, parse_expiry
from notes_app.store.db import one, rows, transaction

SAVE_FAILED = "The share server could not save: {error}. Free disk space and try again."

DB_FILE = "shares.db"
PARSED_CACHE = 256
SHARE_ID_BYTES = 24  # 192 bits from secrets.token_urlsafe: unguessable

migrations = Migrations("notes_app_share_server")


@migrations()
def m001_tokens_and_shares(db: sqlite_utils.Database) -> None:
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


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredShare:
    id: str
    title: str
    snapshot: Snapshot
    include_transcript: bool
    allow_questions: bool
    created_at: float
    expires_at: float | None
    revoked_at: float | None

    def live(self, now: float) -> bool:
        """Readable now: not revoked and not past its expiry."""
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at


class SnapshotStore:
    """All reads and writes of the share server's database. Safe to share between threads."""

    def __init__(self, data_dir: Path | str, *, clock: Callable[[], float]):
        self.path = Path(data_dir) / DB_FILE
        self.clock = clock
        self._lock = threading.Lock()
        # Published snapshots never change, so parsed ones are kept; revocation and expiry are
        # still read from the database on every request.
        self._parsed: OrderedDict[str, Snapshot] = OrderedDict()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
            self.db = sqlite_utils.Database(conn)
            self.db.enable_wal()
            self.db.execute("PRAGMA synchronous = NORMAL")
            migrations.apply(self.db)
        except (sqlite3.DatabaseError, OSError) as e:
            raise StorageError(
                f"Cannot open the share server's database {self.path}: {e}. Check the --data "
                "folder exists and is writable."
            ) from None

    def close(self) -> None:
        self.db.conn.close()

    # --- tokens -------------------------------------------------------------------------------

    def create_token(self, name: str) -> str:
        """A new API token for ``name``. Only its hash is kept: this is the one chance to see it."""
        name = name.strip()
        if not name:
            raise ShareError("Give the token a name, e.g. `notes-app serve --create-token laptop`.")
        token = secrets.token_urlsafe(32)
        with self._write():
            self.db.execute(
                "INSERT INTO tokens (hash, name, created_at) VALUES (?,?,?)",
                [hash_token(token), name, self.clock()],
            )
        return token

    def token_known(self, token: str) -> bool:
        with self._lock:
            row = self.db.execute(
                "SELECT 1 FROM tokens WHERE hash = ?", [hash_token(token)]
            ).fetchone()
        return row is not None

    # --- shares -------------------------------------------------------------------------------

    def publish(self, token: str, snapshot: Snapshot, options: ShareOptions) -> StoredShare:
        if not options.include_transcript:
            snapshot = snapshot.without_transcript()  # never keep what was not meant to be shared
        now = self.clock()
        lifetime = parse_expiry(options.expires)
        share = StoredShare(
            id=secrets.token_urlsafe(SHARE_ID_BYTES),
            title=snapshot.title,
            snapshot=snapshot,
            include_transcript=options.include_transcript,
            allow_questions=options.allow_questions,
            created_at=now,
            expires_at=None if lifetime is None else now + lifetime,
            revoked_at=None,
        )
        with self._write():
            self.db.execute(
                "INSERT INTO shares (id, token_hash, title, snapshot, include_transcript,"
                " allow_questions, created_at, expires_at, revoked_at) VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    share.id,
                    hash_token(token),
                    share.title,
                    json.dumps(snapshot.to_dict(), ensure_ascii=False),
                    int(share.include_transcript),
                    int(share.allow_questions),
                    share.created_at,
                    share.expires_at,
                    None,
                ],
            )
        return share

    def get_live(self, share_id: str) -> StoredShare | None:
        """The share if a recipient may see it now; None for unknown, revoked and expired alike."""
        with self._lock:
            row = one(self.db, "SELECT * FROM shares WHERE id = ?", [share_id])
        if row is None:
            return None
        share = self._share(row)
        return share if share.live(self.clock()) else None

    def list_for(self, token: str) -> list[StoredShare]:
        with self._lock:
            found = rows(
                self.db,
                "SELECT * FROM shares WHERE token_hash = ? ORDER BY created_at DESC",
                [hash_token(token)],
            )
        return [self._share(r) for r in found]

    def revoke(self, token: str, share_id: str) -> bool:
        """Revoke a share published with ``token``. False if that token never published it."""
        with self._write():
            cur = self.db.execute(
                "UPDATE shares SET revoked_at = coalesce(revoked_at, ?)"
                " WHERE id = ? AND token_hash = ?",
                [self.clock(), share_id, hash_token(token)],
            )
        return cur.rowcount > 0

    # --- helpers ------------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction, serialised with every other use of the connection."""
        with self._lock, transaction(self.db, SAVE_FAILED):
            yield

    def _share(self, row: dict[str, Any]) -> StoredShare:
        return StoredShare(
            id=row["id"],
            title=row["title"],
            snapshot=self._snapshot(row["id"], row["snapshot"]),
            include_transcript=bool(row["include_transcript"]),
            allow_questions=bool(row["allow_questions"]),
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            revoked_at=row["revoked_at"],
        )

    def _snapshot(self, share_id: str, text: str) -> Snapshot:
        snapshot = self._parsed.get(share_id)
        if snapshot is None:
            snapshot = Snapshot.from_dict(json.loads(text))
            self._parsed[share_id] = snapshot
            while len(self._parsed) > PARSED_CACHE:
                self._parsed.popitem(last=False)
        return snapshot
