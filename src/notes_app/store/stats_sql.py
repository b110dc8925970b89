"""The queries behind `notes-app stats`: raw figures; notes_app.stats turns them into a report."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from notes_app.store.db import Database, rows


def _since(since: str | None) -> tuple[str, list[Any]]:
    return ("m.started_at >= ?", [since]) if since else ("1", [])


def meeting_rows(db: Database, since: str | None) -> list[dict[str, Any]]:
    """Each meeting with its length: the stored duration, else where its transcript ends."""
    where, params = _since(since)
    return rows(
        db,
        f"""SELECT m.id, m.title, m.started_at, m.attendees,
                   coalesce(m.duration, (SELECT max(s.end) FROM segments s
                                         WHERE s.meeting_id = m.id), 0) AS duration
            FROM meetings m WHERE {where} ORDER BY m.started_at""",
        params,
    )


def talk_seconds(db: Database, since: str | None) -> list[tuple[int, str, float]]:
    """(meeting id, speaker, seconds spoken) for every speaker with a name or role."""
    where, params = _since(since)
    cur = db.execute(
        f"""SELECT s.meeting_id, s.speaker, sum(max(s.end - s.start, 0))
            FROM segments s JOIN meetings m ON m.id = s.meeting_id
            WHERE {where} AND s.speaker IS NOT NULL AND s.speaker != ''
            GROUP BY s.meeting_id, s.speaker""",
        params,
    )
    return [(int(a), str(b), float(c)) for a, b, c in cur.fetchall()]


def texts(db: Database, since: str | None) -> Iterator[str]:
    """Everything said and written, one piece at a time (never all in memory at once)."""
    where, params = _since(since)
    yield from (
        r[0]
        for r in db.execute(
            f"SELECT s.text FROM segments s JOIN meetings m ON m.id = s.meeting_id WHERE {where}",
            params,
        )
    )
    yield from (
        r[0]
        for r in db.execute(
            f"SELECT n.text FROM raw_notes n JOIN meetings m ON m.id = n.meeting_id WHERE {where}",
            params,
        )
    )
