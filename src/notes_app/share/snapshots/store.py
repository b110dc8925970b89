"""The share server's store: API tokens and published snapshots, in the server's own SQLite file.

This is not the desktop database. A share server may run on another machine than any desktop
(and holds only what people chose to publish), so it keeps its own file in its data folder and
its own migrations; that is why this SQL lives here in ``share/`` rather than in ``store/``.

Tokens are kept only as SHA-256 hashes: a copy of this file does not let anyone publish. A
share is two rows: ``shares`` (id, owner, options, times: enough to say "not found" without
touching the content) and ``share_content`` (title and snapshot). Revoking deletes the content
at once; expired content goes at the next purge. ``secure_delete`` zeroes what is deleted and
the write-ahead log is truncated after, so the words do not linger in the file either.
Time comes from an injected clock (seconds since the epoch) so tests can move it.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from notes_app.errors import ShareError, StorageError
from notes_app.share.cache import ByteLRU
from notes_app.share.model import ShareOptions, Snapshot, parse_expiry
from notes_app.share.proof import hash_token, key_id_of_hash
from notes_app.store.db import rows, transaction

__all__ = ["SnapshotStore", "StoredShare", "ShareInfo", "TokenInfo", "hash_token"]

SAVE_FAILED = "The share server could not save: {error}. Free disk space and try again."

DB_FILE = "shares.db"
PARSED_BUDGET = 64 * 1024 * 1024  # bytes of parsed snapshots kept in memory
PARSED_PER_BYTE = 4  # a parsed snapshot takes about this many times its JSON size
SHARE_ID_BYTES = 24  # 192 bits from secrets.token_urlsafe: unguessable
INFO_COLUMNS = (
    "id, token_hash, include_transcript, allow_questions, created_at, expires_at, revoked_at, size"
)
INFO_NAMES = INFO_COLUMNS.split(", ")
INFO_BY_ID = f"SELECT {INFO_COLUMNS} FROM shares WHERE id = ?"  # one statement, no savepoint

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


@migrations()
def m002_content_apart_token_lifetimes(db: sqlite_utils.Database) -> None:
    """Content in its own table (revoking deletes it); tokens get a key id, expiry, revocation."""
    for column in ("key_id TEXT", "expires_at REAL", "revoked_at REAL"):
        db.execute(f"ALTER TABLE tokens ADD COLUMN {column}")
    for (token_hash,) in db.execute("SELECT hash FROM tokens").fetchall():
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
    db.execute(
        "INSERT INTO shares_v2 SELECT id, token_hash, include_transcript, allow_questions,"
        " created_at, expires_at, revoked_at, length(CAST(snapshot AS BLOB)) FROM shares"
    )
    db.execute("DROP TABLE shares")
    db.execute("ALTER TABLE shares_v2 RENAME TO shares")
    db.execute("CREATE INDEX shares_token ON shares(token_hash)")


@dataclass(frozen=True)
class ShareInfo:
    """What the server knows of a share without reading its content."""

    id: str
    token_hash: str
    include_transcript: bool
    allow_questions: bool
    created_at: float
    expires_at: float | None
    revoked_at: float | None
    size: int  # bytes of the stored snapshot
    title: str | None = None  # only where asked for (listing); None once the content is gone

    def live(self, now: float) -> bool:
        """Readable now: not revoked and not past its expiry."""
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class StoredShare:
    """A live share with its content."""

    info: ShareInfo
    snapshot: Snapshot

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def title(self) -> str:
        return self.snapshot.title


@dataclass(frozen=True)
class TokenInfo:
    name: str
    created_at: float
    expires_at: float | None
    revoked_at: float | None
    live_shares: int

    def status(self, now: float) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and now >= self.expires_at:
            return "expired"
        return "active"


class QuotaExceeded(ShareError):
    """A publish that would take a token past its number of live links or bytes."""


class SnapshotStore:
    """All reads and writes of the share server's database. Safe to share between threads."""

    def __init__(
        self,
        data_dir: Path | str,
        *,
        clock: Callable[[], float],
        parsed_budget: int = PARSED_BUDGET,
    ):
        self.path = Path(data_dir) / DB_FILE
        self.clock = clock
        self._lock = threading.Lock()  # the writer connection: writes and the small reads
        self._read_lock = threading.Lock()  # the reader connection: content, which may be large
        # Published snapshots never change, so parsed ones are kept (by bytes); revocation and
        # expiry are still read from the database on every request.
        self._parsed: ByteLRU[Snapshot] = ByteLRU(parsed_budget)
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
        self.purge()  # content revoked or expired while no server ran

    def _connect(self) -> sqlite_utils.Database:
        conn = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
        conn.execute("PRAGMA secure_delete = ON")  # deleted content is zeroed, not left behind
        return sqlite_utils.Database(conn)

    def close(self) -> None:
        self._reader.conn.close()
        self.db.conn.close()

    # --- tokens -------------------------------------------------------------------------------

    def create_token(self, name: str, *, lifetime: float | None = None) -> str:
        """A new API token for ``name``, valid for ``lifetime`` seconds (None: until revoked).
        Only its hash is kept: this is the one chance to see it."""
        name = name.strip()
        if not name:
            raise ShareError("Give the token a name, e.g. `notes-app serve --create-token laptop`.")
        token = secrets.token_urlsafe(32)
        token_hash = hash_token(token)
        now = self.clock()
        with self._write():
            taken = self.db.execute(
                "SELECT 1 FROM tokens WHERE name = ? AND revoked_at IS NULL"
                " AND (expires_at IS NULL OR expires_at > ?)",
                [name, now],
            ).fetchone()
            if taken:
                raise ShareError(
                    f"A token named {name!r} exists. Pick another name, or revoke it first "
                    f"with `notes-app serve --revoke-token {name!r}`."
                )
            self.db.execute(
                "INSERT INTO tokens (hash, name, created_at, key_id, expires_at)"
                " VALUES (?,?,?,?,?)",
                [token_hash, name, now, key_id_of_hash(token_hash), _after(now, lifetime)],
            )
        return token

    def token_state(self, token: str) -> str:
        """ "valid", "revoked", "expired" or "unknown"."""
        with self._lock:
            row = self.db.execute(
                "SELECT expires_at, revoked_at FROM tokens WHERE hash = ?", [hash_token(token)]
            ).fetchone()
        if row is None:
            return "unknown"
        expires_at, revoked_at = row
        if revoked_at is not None:
            return "revoked"
        if expires_at is not None and self.clock() >= expires_at:
            return "expired"
        return "valid"

    def token_known(self, token: str) -> bool:
        """Whether ``token`` may publish, list and revoke now."""
        return self.token_state(token) == "valid"

    def token_hash_for_key(self, key_id: str) -> str | None:
        """The stored hash behind a key id (for the server's proof of identity)."""
        with self._lock:
            row = self.db.execute("SELECT hash FROM tokens WHERE key_id = ?", [key_id]).fetchone()
        return row[0] if row else None

    def list_tokens(self) -> list[TokenInfo]:
        now = self.clock()
        with self._lock:
            found = rows(
                self.db,
                "SELECT name, created_at, expires_at, revoked_at, (SELECT count(*) FROM shares s"
                "  WHERE s.token_hash = t.hash AND s.revoked_at IS NULL"
                "  AND (s.expires_at IS NULL OR s.expires_at > ?)) AS live_shares"
                " FROM tokens t ORDER BY created_at",
                [now],
            )
        return [TokenInfo(**r) for r in found]

    def revoke_token(self, name: str, *, with_links: bool = False) -> tuple[int, int]:
        """Revoke every token named ``name``; with ``with_links`` their live links go too.
        Returns (tokens revoked, links revoked)."""
        now = self.clock()
        with self._write():
            hashes = [
                r[0]
                for r in self.db.execute(
                    "SELECT hash FROM tokens WHERE name = ? AND revoked_at IS NULL", [name]
                ).fetchall()
            ]
            self.db.execute(
                "UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                [now, name],
            )
            links = 0
            if with_links:
                for token_hash in hashes:
                    cur = self.db.execute(
                        "UPDATE shares SET revoked_at = ? WHERE token_hash = ?"
                        " AND revoked_at IS NULL",
                        [now, token_hash],
                    )
                    links += cur.rowcount
        if links:
            self.purge()
        return len(hashes), links

    # --- shares -------------------------------------------------------------------------------

    def publish(
        self,
        token: str,
        snapshot: Snapshot,
        options: ShareOptions,
        *,
        max_live: int | None = None,
        max_bytes: int | None = None,
    ) -> StoredShare:
        """Store a snapshot; ``QuotaExceeded`` if the token would pass ``max_live`` live links
        or ``max_bytes`` bytes of live snapshots."""
        if not options.include_transcript:
            snapshot = snapshot.without_transcript()  # never keep what was not meant to be shared
        text = json.dumps(snapshot.to_dict(), ensure_ascii=False, allow_nan=False)
        size = len(text.encode("utf-8"))
        now = self.clock()
        info = ShareInfo(
            id=secrets.token_urlsafe(SHARE_ID_BYTES),
            token_hash=hash_token(token),
            include_transcript=options.include_transcript,
            allow_questions=options.allow_questions,
            created_at=now,
            expires_at=_after(now, parse_expiry(options.expires)),
            revoked_at=None,
            size=size,
            title=snapshot.title,
        )
        with self._write():
            self._check_quota(info.token_hash, size, now, max_live, max_bytes)
            self.db.execute(
                f"INSERT INTO shares ({INFO_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
                [
                    info.id,
                    info.token_hash,
                    int(info.include_transcript),
                    int(info.allow_questions),
                    info.created_at,
                    info.expires_at,
                    None,
                    size,
                ],
            )
            self.db.execute(
                "INSERT INTO share_content (id, title, snapshot) VALUES (?,?,?)",
                [info.id, snapshot.title, text],
            )
        return StoredShare(info, snapshot)

    def _check_quota(
        self, token_hash: str, size: int, now: float, max_live: int | None, max_bytes: int | None
    ) -> None:
        count, total = self.db.execute(
            "SELECT count(*), coalesce(sum(size), 0) FROM shares WHERE token_hash = ?"
            " AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)",
            [token_hash, now],
        ).fetchone()
        if max_live is not None and count >= max_live:
            raise QuotaExceeded(
                f"This token has {count} live links, the most one token may have. Revoke some "
                "(`notes-app shares`, then `notes-app unshare ID`) and share again."
            )
        if max_bytes is not None and total + size > max_bytes:
            raise QuotaExceeded(
                f"This token's live links hold {total // 1_000_000} MB; this one would take "
                f"them past {max_bytes // 1_000_000} MB. Revoke some links, or share without "
                "the transcript."
            )

    def info(self, share_id: str) -> ShareInfo | None:
        """The share's id, owner, options and times, without its content."""
        with self._lock:
            row = self.db.conn.execute(INFO_BY_ID, [share_id]).fetchone()
        return _info(dict(zip(INFO_NAMES, row, strict=True))) if row else None

    def live_info(self, share_id: str) -> ShareInfo | None:
        """The share if a recipient may see it now; None for unknown, revoked and expired alike
        (the same one small lookup for each: their answers take the same time)."""
        info = self.info(share_id)
        return info if info is not None and info.live(self.clock()) else None

    def snapshot(self, share_id: str) -> Snapshot | None:
        """The share's content (parsed once, then from memory); None once it was deleted.
        Reading and parsing a large snapshot takes a while: call this off the event loop."""
        snapshot = self._parsed.get(share_id)
        if snapshot is not None:
            return snapshot
        with self._read_lock:
            row = self._reader.execute(
                "SELECT snapshot FROM share_content WHERE id = ?", [share_id]
            ).fetchone()
        if row is None:
            return None
        snapshot = Snapshot.from_dict(json.loads(row[0]))
        self._parsed.put(share_id, snapshot, len(row[0]) * PARSED_PER_BYTE)
        return snapshot

    def get_live(self, share_id: str) -> StoredShare | None:
        info = self.live_info(share_id)
        if info is None:
            return None
        snapshot = self.snapshot(share_id)
        return StoredShare(info, snapshot) if snapshot is not None else None

    def list_for(self, token: str) -> list[ShareInfo]:
        with self._lock:
            found = rows(
                self.db,
                "SELECT s.id, s.token_hash, s.include_transcript, s.allow_questions,"
                " s.created_at, s.expires_at, s.revoked_at, s.size, c.title"
                " FROM shares s LEFT JOIN share_content c ON c.id = s.id"
                " WHERE s.token_hash = ? ORDER BY s.created_at DESC",
                [hash_token(token)],
            )
        return [_info(r) for r in found]

    def revoke(self, token: str, share_id: str) -> bool:
        """Revoke a share published with ``token`` and delete its content. False if that token
        never published it."""
        with self._write():
            cur = self.db.execute(
                "UPDATE shares SET revoked_at = coalesce(revoked_at, ?)"
                " WHERE id = ? AND token_hash = ?",
                [self.clock(), share_id, hash_token(token)],
            )
        if cur.rowcount:
            self.purge()
        return cur.rowcount > 0

    def purge(self) -> int:
        """Delete the content of revoked and expired shares (their id, owner and times stay).
        Returns how many were deleted."""
        with self._write():
            gone = [
                r[0]
                for r in self.db.execute(
                    "SELECT s.id FROM share_content c JOIN shares s ON s.id = c.id"
                    " WHERE s.revoked_at IS NOT NULL"
                    " OR (s.expires_at IS NOT NULL AND s.expires_at <= ?)",
                    [self.clock()],
                ).fetchall()
            ]
            self.db.conn.executemany("DELETE FROM share_content WHERE id = ?", [[i] for i in gone])
        for share_id in gone:
            self._parsed.pop(share_id)
        if gone:
            with self._lock:
                # The log still holds copies of the deleted pages until it is reset.
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return len(gone)

    # --- helpers ------------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction, serialised with every other use of the connection."""
        with self._lock, transaction(self.db, SAVE_FAILED):
            yield


def _after(now: float, lifetime: float | None) -> float | None:
    return None if lifetime is None else now + lifetime


def _info(row: dict[str, Any]) -> ShareInfo:
    return ShareInfo(
        id=row["id"],
        token_hash=row["token_hash"],
        include_transcript=bool(row["include_transcript"]),
        allow_questions=bool(row["allow_questions"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        size=row["size"],
        title=row.get("title"),
    )
