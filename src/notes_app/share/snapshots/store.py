"""The share server's store: API tokens, published snapshots, rate limits and shared jobs.

This is not the desktop database. A share server may run on another machine than any desktop
(and holds only what people chose to publish), so it keeps its own database and its own
migrations; that is why this SQL lives here in ``share/`` rather than in ``store/``. The
database is a SQLite file in the server's data folder (sqlite.py), or PostgreSQL for several
workers or machines (postgres.py); the statements below are written once for both.

Tokens are kept only as SHA-256 hashes: a copy of the database does not let anyone publish. A
share is two rows: ``shares`` (id, owner, options, times: enough to say "not found" without
touching the content) and ``share_content`` (title and snapshot). Revoking deletes the content
at once; expired content goes at the next purge, a job that one worker runs at a time, claimed
in the database. Time comes from an injected clock (seconds since the epoch) so tests can move
it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from notes_app.errors import ShareError
from notes_app.share.cache import ByteLRU
from notes_app.share.model import ShareOptions, Snapshot, parse_expiry
from notes_app.share.proof import hash_token, key_id_of_hash
from notes_app.share.ratelimit import Rate
from notes_app.share.snapshots.records import (
    INFO_COLUMNS,
    QuotaExceeded,
    ShareInfo,
    StoredShare,
    TokenInfo,
)

PARSED_BUDGET = 64 * 1024 * 1024  # bytes of parsed snapshots kept in memory
PARSED_PER_BYTE = 4  # a parsed snapshot takes about this many times its JSON size
SHARE_ID_BYTES = 24  # 192 bits from secrets.token_urlsafe: unguessable
INFO_BY_ID = f"SELECT {INFO_COLUMNS} FROM shares WHERE id = ?"  # one statement, no savepoint
IDS_AT_ONCE = 500  # ids in one ``IN (…)`` list
DATABASE_SCHEMES = ("postgresql://", "postgres://")


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Transaction(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Cursor: ...


class Backend(Protocol):
    """Where the rows are: sqlite.SqliteBackend or postgres.PostgresBackend."""

    dialect: str
    lock_rows: str  # appended to a SELECT of rows the transaction will change
    where: str  # the file or the database, for messages

    @property
    def path(self) -> Path | None: ...  # the SQLite file

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def content(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def write(self) -> Any: ...  # a context manager giving a Transaction

    def deleted_content(self) -> None: ...

    def set_trace(self, callback: Callable[[str], None] | None) -> None: ...

    def close(self) -> None: ...


def is_database_url(location: object) -> bool:
    return isinstance(location, str) and location.lower().startswith(DATABASE_SCHEMES)


def redact(url: str) -> str:
    """The URL without its password, to show in messages."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.split(':', 1)[0]}:***@{host}"
    query = [(k, "***" if k == "password" else v) for k, v in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query, safe="/")))


def open_backend(location: Path | str) -> Backend:
    """A PostgreSQL URL opens PostgreSQL; anything else is the data folder of a SQLite file."""
    if is_database_url(location):
        try:
            from notes_app.share.snapshots.postgres import PostgresBackend
        except ImportError:
            raise ShareError(
                "A PostgreSQL database needs psycopg: install it with "
                "`pip install 'notes-app[server]'`, or use --data DIR for a SQLite file."
            ) from None
        return PostgresBackend(str(location))
    from notes_app.share.snapshots.sqlite import SqliteBackend

    return SqliteBackend(Path(location))


class SnapshotStore:
    """All reads and writes of the share server's database. Safe to share between threads."""

    def __init__(
        self,
        location: Path | str,
        *,
        clock: Callable[[], float],
        parsed_budget: int = PARSED_BUDGET,
        purge: bool = True,
    ):
        """``location``: the data folder (SQLite) or a ``postgresql://`` URL. ``purge``: delete
        what was revoked or expired while no server ran (the serve command does it once
        before its workers start, so they pass False)."""
        self.clock = clock
        self.backend = open_backend(location)
        self.path = self.backend.path
        # Published snapshots never change, so parsed ones are kept (by bytes); revocation and
        # expiry are still read from the database on every request.
        self._parsed: ByteLRU[Snapshot] = ByteLRU(parsed_budget)
        if purge:
            self.purge()

    def close(self) -> None:
        self.backend.close()

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
        with self._write() as tx:
            taken = tx.execute(
                "SELECT 1 FROM tokens WHERE name = ? AND revoked_at IS NULL"
                " AND (expires_at IS NULL OR expires_at > ?)",
                [name, now],
            ).fetchone()
            if taken:
                raise ShareError(
                    f"A token named {name!r} exists. Pick another name, or revoke it first "
                    f"with `notes-app serve --revoke-token {name!r}`."
                )
            tx.execute(
                "INSERT INTO tokens (hash, name, created_at, key_id, expires_at)"
                " VALUES (?,?,?,?,?)",
                [token_hash, name, now, key_id_of_hash(token_hash), _after(now, lifetime)],
            )
        return token

    def token_state(self, token: str) -> str:
        """ "valid", "revoked", "expired" or "unknown"."""
        found = self.backend.rows(
            "SELECT expires_at, revoked_at FROM tokens WHERE hash = ?", [hash_token(token)]
        )
        if not found:
            return "unknown"
        expires_at, revoked_at = found[0]
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
        found = self.backend.rows("SELECT hash FROM tokens WHERE key_id = ?", [key_id])
        return found[0][0] if found else None

    def list_tokens(self) -> list[TokenInfo]:
        found = self.backend.rows(
            "SELECT name, created_at, expires_at, revoked_at, (SELECT count(*) FROM shares s"
            "  WHERE s.token_hash = t.hash AND s.revoked_at IS NULL"
            "  AND (s.expires_at IS NULL OR s.expires_at > ?)) AS live_shares"
            " FROM tokens t ORDER BY created_at",
            [self.clock()],
        )
        return [TokenInfo(*row) for row in found]

    def revoke_token(self, name: str, *, with_links: bool = False) -> tuple[int, int]:
        """Revoke every token named ``name``; with ``with_links`` their live links go too (and
        their content). Returns (tokens revoked, links revoked)."""
        now = self.clock()
        links: list[str] = []
        with self._write() as tx:
            hashes = [
                row[0]
                for row in tx.execute(
                    f"SELECT hash FROM tokens WHERE name = ? AND revoked_at IS NULL{self._lock}",
                    [name],
                ).fetchall()
            ]
            tx.execute(
                "UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                [now, name],
            )
            if with_links:
                for token_hash in hashes:
                    links += [
                        row[0]
                        for row in tx.execute(
                            "SELECT id FROM shares WHERE token_hash = ? AND revoked_at IS NULL",
                            [token_hash],
                        ).fetchall()
                    ]
                    tx.execute(
                        "UPDATE shares SET revoked_at = ? WHERE token_hash = ?"
                        " AND revoked_at IS NULL",
                        [now, token_hash],
                    )
                self._delete_content(tx, links)
        self._deleted(links)
        return len(hashes), len(links)

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
        with self._write() as tx:
            # The token's row held until the end, so two publishes at once (two workers) are
            # counted one after the other against its quota.
            tx.execute(f"SELECT hash FROM tokens WHERE hash = ?{self._lock}", [info.token_hash])
            self._check_quota(tx, info.token_hash, size, now, max_live, max_bytes)
            tx.execute(
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
            tx.execute(
                "INSERT INTO share_content (id, title, snapshot) VALUES (?,?,?)",
                [info.id, _no_nul(snapshot.title), text],
            )
        return StoredShare(info, snapshot)

    def _check_quota(
        self,
        tx: Transaction,
        token_hash: str,
        size: int,
        now: float,
        max_live: int | None,
        max_bytes: int | None,
    ) -> None:
        count, total = tx.execute(
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
        found = self.backend.rows(INFO_BY_ID, [share_id])
        return ShareInfo.from_row(found[0]) if found else None

    def live_info(self, share_id: str) -> ShareInfo | None:
        """The share if a recipient may see it now; None for unknown, revoked and expired alike
        (the same one small lookup for each: their answers take the same time)."""
        info = self.info(share_id)
        return info if info is not None and info.live(self.clock()) else None

    def not_live(self, share_ids: Iterable[str]) -> set[str]:
        """Which of ``share_ids`` a recipient may no longer see (revoked, expired, unknown):
        what another worker revoked, for this one to drop from memory."""
        ids = list(share_ids)
        live: set[str] = set()
        now = self.clock()
        for start in range(0, len(ids), IDS_AT_ONCE):
            chunk = ids[start : start + IDS_AT_ONCE]
            marks = ",".join("?" * len(chunk))
            found = self.backend.rows(
                f"SELECT {INFO_COLUMNS} FROM shares WHERE id IN ({marks})", chunk
            )
            live |= {row[0] for row in found if ShareInfo.from_row(row).live(now)}
        return set(ids) - live

    def snapshot(self, share_id: str) -> Snapshot | None:
        """The share's content (parsed once, then from memory); None once it was deleted.
        Reading and parsing a large snapshot takes a while: call this off the event loop."""
        snapshot = self._parsed.get(share_id)
        if snapshot is not None:
            return snapshot
        found = self.backend.content("SELECT snapshot FROM share_content WHERE id = ?", [share_id])
        if not found:
            return None
        text = found[0][0]
        snapshot = Snapshot.from_dict(json.loads(text))
        self._parsed.put(share_id, snapshot, len(text) * PARSED_PER_BYTE)
        return snapshot

    def forget_parsed(self, share_ids: Iterable[str]) -> None:
        for share_id in share_ids:
            self._parsed.pop(share_id)

    def parsed_ids(self) -> list[str]:
        return self._parsed.keys()

    def get_live(self, share_id: str) -> StoredShare | None:
        info = self.live_info(share_id)
        if info is None:
            return None
        snapshot = self.snapshot(share_id)
        return StoredShare(info, snapshot) if snapshot is not None else None

    def list_for(self, token: str) -> list[ShareInfo]:
        found = self.backend.rows(
            "SELECT s.id, s.token_hash, s.include_transcript, s.allow_questions,"
            " s.created_at, s.expires_at, s.revoked_at, s.size, c.title"
            " FROM shares s LEFT JOIN share_content c ON c.id = s.id"
            " WHERE s.token_hash = ? ORDER BY s.created_at DESC",
            [hash_token(token)],
        )
        return [ShareInfo.from_row(row) for row in found]

    def revoke(self, token: str, share_id: str) -> bool:
        """Revoke a share published with ``token`` and delete its content. False if that token
        never published it."""
        with self._write() as tx:
            cur = tx.execute(
                "UPDATE shares SET revoked_at = coalesce(revoked_at, ?)"
                " WHERE id = ? AND token_hash = ?",
                [self.clock(), share_id, hash_token(token)],
            )
            found = cur.rowcount > 0
            if found:
                self._delete_content(tx, [share_id])
        if found:
            self._deleted([share_id])
        return found

    def purge(self) -> int:
        """Delete the content of revoked and expired shares (their id, owner and times stay).
        Returns how many were deleted."""
        with self._write() as tx:
            gone = [
                row[0]
                for row in tx.execute(
                    "SELECT s.id FROM share_content c JOIN shares s ON s.id = c.id"
                    " WHERE s.revoked_at IS NOT NULL"
                    " OR (s.expires_at IS NOT NULL AND s.expires_at <= ?)",
                    [self.clock()],
                ).fetchall()
            ]
            self._delete_content(tx, gone)
        self._deleted(gone)
        return len(gone)

    def _delete_content(self, tx: Transaction, share_ids: Sequence[str]) -> None:
        for share_id in share_ids:
            tx.execute("DELETE FROM share_content WHERE id = ?", [share_id])

    def _deleted(self, share_ids: Sequence[str]) -> None:
        if share_ids:
            self.forget_parsed(share_ids)
            self.backend.deleted_content()

    # --- what every worker shares: rate limits and jobs ---------------------------------------

    def take(self, requests: Sequence[tuple[str, Rate]]) -> float | None:
        """Count one request against each (key, rate), all or none: None when every key allows
        it, else the seconds until all would (nothing counted). In one transaction, so workers
        counting the same client at once count it once each."""
        now = self.clock()
        # Rows are locked in one order, so two requests never wait for each other in a circle.
        ordered = sorted(requests, key=lambda request: request[0])
        keys = [key for key, _ in ordered]
        marks = ",".join("?" * len(keys))
        with self._write() as tx:
            tx.execute(
                "INSERT INTO rate_limits (key, due) VALUES "
                + ",".join("(?, 0)" for _ in keys)
                + " ON CONFLICT (key) DO NOTHING",
                keys,
            )
            due = dict(
                tx.execute(
                    f"SELECT key, due FROM rate_limits WHERE key IN ({marks}) ORDER BY key"
                    f"{self._lock}",
                    keys,
                ).fetchall()
            )
            steps = [(key, *rate.step(due.get(key, 0.0), now)) for key, rate in ordered]
            waits = [wait for _, _, wait in steps if wait is not None]
            if waits:
                return max(waits)
            for key, next_due, _ in steps:
                tx.execute("UPDATE rate_limits SET due = ? WHERE key = ?", [next_due, key])
        return None

    def forget_rates(self) -> int:
        """Delete the limits whose time has passed (a client starts afresh, as it would)."""
        with self._write() as tx:
            return tx.execute("DELETE FROM rate_limits WHERE due <= ?", [self.clock()]).rowcount

    def rates_kept(self) -> int:
        return self.backend.rows("SELECT count(*) FROM rate_limits")[0][0]

    def claim_job(self, name: str, every: float) -> tuple[bool, float]:
        """Whether this caller is to run the job ``name`` now, and when it is next due.

        Every worker asks when its own clock says the job may be due; the first to ask after
        the job's time moves that time ``every`` seconds on and runs it, the others see the new
        time and wait for it. One row per job, so no lock outlives the claim."""
        now = self.clock()
        with self._write() as tx:
            tx.execute(
                "INSERT INTO jobs (name, next_run) VALUES (?, 0) ON CONFLICT (name) DO NOTHING",
                [name],
            )
            claimed = tx.execute(
                "UPDATE jobs SET next_run = ? WHERE name = ? AND next_run <= ?",
                [now + every, name, now],
            ).rowcount
            if claimed:
                return True, now + every
            (next_run,) = tx.execute("SELECT next_run FROM jobs WHERE name = ?", [name]).fetchone()
        return False, next_run

    # --- helpers ------------------------------------------------------------------------------

    @property
    def _lock(self) -> str:
        return self.backend.lock_rows

    @contextmanager
    def _write(self) -> Iterator[Transaction]:
        with self.backend.write() as tx:
            yield tx


def _after(now: float, lifetime: float | None) -> float | None:
    return None if lifetime is None else now + lifetime


def _no_nul(text: str) -> str:
    """PostgreSQL's text cannot hold U+0000; the JSON escapes it, a title may carry it raw."""
    return text.replace("\x00", "\ufffd")
