"""The only module that speaks SQL about meetings, notes, transcripts and enhanced notes.

Writes that belong together run in one transaction (``self.transaction()``, which nests
as savepoints): an import that fails half-way leaves nothing behind.

``Repo.open(path)`` is the one door to the database: it opens (and upgrades) the file, and the
repository closes it again with ``close()``, or at the end of a ``with`` block — which is how a
worker thread gets a connection of its own::

    with Repo.open(settings.db_path) as repo:
        ...

The other stores share its connection: ``repo.chat``, ``repo.shares``, ``repo.vectors`` (each
imported when first used: the window starts without them, and vectors bring numpy).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notes_app.clock import now_iso
from notes_app.domain import Block, EnhancedNotes, Meeting, MeetingHeader, Segment, Transcript
from notes_app.errors import MeetingNotFound
from notes_app.store.db import Database, one, open_db, read_only, rows, transaction
from notes_app.store.folders import folder_clause, folder_name, tag_name, tags_of

if TYPE_CHECKING:
    from notes_app.store.chat import ChatStore
    from notes_app.store.shares import ShareRecords
    from notes_app.store.vectors import VectorStore

__all__ = ["MEETING_FIELDS", "Repo", "now_iso"]

MEETING_FIELDS = ("title", "started_at", "ended_at", "duration", "language", "audio_path", "status")


class Repo:
    def __init__(self, db: Database):
        self.db = db

    @classmethod
    def open(cls, path: Path | str) -> Repo:
        """A repository on its own connection to the database at ``path`` (created if needed).

        A connection belongs to the thread that uses it: each worker thread opens its own.
        """
        return cls(open_db(path))

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> Repo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def path(self) -> str:
        """The file behind this repository (for another thread to open its own connection)."""
        return self.db.execute("PRAGMA database_list").fetchone()[2]

    @property
    def read_only(self) -> str | None:
        """Why nothing can be saved (a full disk, a damaged file), as a sentence to show; None
        when the database can be written. Reading works either way."""
        return read_only(self.db)

    @cached_property
    def chat(self) -> ChatStore:
        from notes_app.store.chat import ChatStore

        return ChatStore(self.db)

    @cached_property
    def shares(self) -> ShareRecords:
        from notes_app.store.shares import ShareRecords

        return ShareRecords(self.db)

    @cached_property
    def vectors(self) -> VectorStore:
        from notes_app.store.vectors import VectorStore

        return VectorStore(self.db)

    def transaction(self) -> AbstractContextManager[None]:
        """One write transaction (nesting as a savepoint); a full disk or a file locked too long
        becomes a StorageError and nothing is changed."""
        return transaction(self.db)

    # --- meetings -----------------------------------------------------------------------------

    def create_meeting(
        self,
        title: str,
        *,
        started_at: str | None = None,
        ended_at: str | None = None,
        duration: float | None = None,
        language: str | None = None,
        audio_path: str | None = None,
        status: str = "done",
        attendees: Iterable[str] = (),
        notes: str = "",
        segments: Iterable[Segment] = (),
        agenda: str | None = None,
    ) -> int:
        """Create a meeting with its notes and transcript in one transaction; return its id."""
        ts = now_iso()
        with self.transaction():
            cur = self.db.execute(
                "INSERT INTO meetings (title, started_at, ended_at, duration, language, audio_path,"
                " status, attendees, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    title,
                    started_at or ts,
                    ended_at,
                    duration,
                    language,
                    audio_path,
                    status,
                    json.dumps(list(attendees)),
                    ts,
                    ts,
                ],
            )
            meeting_id = int(cur.lastrowid)
            self.db.execute(
                "INSERT INTO raw_notes (meeting_id, text, agenda, updated_at) VALUES (?,?,?,?)",
                [meeting_id, notes, agenda, ts],
            )
            self._insert_segments(meeting_id, segments)
        return meeting_id

    def update_meeting(self, meeting_id: int, **fields: Any) -> None:
        unknown = set(fields) - set(MEETING_FIELDS) - {"attendees"}
        if unknown:
            raise ValueError(f"unknown meeting fields: {sorted(unknown)}")
        self.get_meeting(meeting_id)
        if "attendees" in fields:
            fields["attendees"] = json.dumps(list(fields["attendees"]))
        fields["updated_at"] = now_iso()
        cols = ", ".join(f"{k} = ?" for k in fields)
        with self.transaction():
            self.db.execute(
                f"UPDATE meetings SET {cols} WHERE id = ?", [*fields.values(), meeting_id]
            )

    def get_meeting(self, meeting_id: int) -> Meeting:
        row = self._one(
            "SELECT m.*, n.text AS notes, n.agenda AS agenda FROM meetings m LEFT JOIN raw_notes n"
            " ON n.meeting_id = m.id WHERE m.id = ?",
            [meeting_id],
        )
        if row is None:
            raise MeetingNotFound(meeting_id)
        return _meeting(row)

    def list_meetings(
        self, *, status: str | None = None, folder: str | None = None
    ) -> list[Meeting]:
        """Meetings newest first; ``folder`` keeps those in it or in a folder inside it."""
        sql = (
            "SELECT m.*, n.text AS notes, n.agenda AS agenda FROM meetings m LEFT JOIN raw_notes n"
            " ON n.meeting_id = m.id WHERE 1"
        )
        params: list[Any] = []
        if status:
            sql += " AND m.status = ?"
            params.append(status)
        if folder is not None:
            clause, folder_params = folder_clause("m.folder", folder)
            sql += f" AND {clause}"
            params += folder_params
        sql += " ORDER BY m.started_at DESC, m.id DESC"
        return [_meeting(r) for r in self._rows(sql, params)]

    def meeting_headers(self, offset: int = 0, limit: int = 100) -> list[MeetingHeader]:
        """A page of the meeting list, newest first as ``list_meetings``: only what the list
        shows, read through the started_at index, so the first page costs the same with 20
        meetings or 20,000."""
        found = self._rows(
            "SELECT id, title, started_at, duration, status FROM meetings"
            " ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?",
            [limit, offset],
        )
        return [MeetingHeader(**r) for r in found]

    def folder_headers(
        self, folder: str | None, offset: int = 0, limit: int = 100
    ) -> list[MeetingHeader]:
        """A page of the meetings in exactly ``folder`` as ``folders`` names it (not those in
        folders inside it), newest first; None: those in no folder."""
        # No folder: read down the started_at index (most meetings are in none), not the
        # folder index and a sort of them all; a folder: its few rows through the folder index.
        where, params = ("+folder IS NULL", []) if folder is None else ("folder = ?", [folder])
        if folder is not None:
            where = "folder = ? COLLATE NOCASE AND " + where
            params = [folder, folder]
        found = self._rows(
            f"SELECT id, title, started_at, duration, status FROM meetings WHERE {where}"
            " ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [MeetingHeader(**r) for r in found]

    def move_meeting(self, meeting_id: int, folder: str | None) -> Meeting:
        """Put the meeting in ``folder`` (None or "": in no folder); returns it moved."""
        name = folder_name(folder)
        self.get_meeting(meeting_id)
        with self.transaction():
            self.db.execute(
                "UPDATE meetings SET folder = ?, updated_at = ? WHERE id = ?",
                [name, now_iso(), meeting_id],
            )
        return self.get_meeting(meeting_id)

    def set_tags(self, meeting_id: int, tags: Iterable[str]) -> Meeting:
        """Replace the meeting's tags (each made a tag_name, duplicates dropped)."""
        names = list(dict.fromkeys(tag_name(t) for t in tags))
        self.get_meeting(meeting_id)
        with self.transaction():
            self.db.execute(
                "UPDATE meetings SET tags = ?, updated_at = ? WHERE id = ?",
                [json.dumps(names) if names else None, now_iso(), meeting_id],
            )
        return self.get_meeting(meeting_id)

    def folders(self) -> list[tuple[str, int]]:
        """Each folder holding meetings, with how many, by name."""
        found = self._rows(
            "SELECT folder, count(*) AS n FROM meetings WHERE folder IS NOT NULL"
            " GROUP BY folder ORDER BY folder COLLATE NOCASE",
            [],
        )
        return [(r["folder"], int(r["n"])) for r in found]

    def delete_meeting(self, meeting_id: int) -> Meeting:
        """Delete a meeting and everything stored with it; returns it (the caller removes audio)."""
        meeting = self.get_meeting(meeting_id)
        with self.transaction():
            self.db.execute("DELETE FROM meetings WHERE id = ?", [meeting_id])
        return meeting

    # --- notes --------------------------------------------------------------------------------

    def set_agenda(self, meeting_id: int, agenda: str | None) -> None:
        """Save what the user typed before the call started (kept apart from the live notes)."""
        self.get_meeting(meeting_id)
        with self.transaction():
            self.db.execute(
                "INSERT INTO raw_notes (meeting_id, text, agenda, updated_at) VALUES (?,'',?,?)"
                " ON CONFLICT(meeting_id) DO UPDATE SET agenda = excluded.agenda",
                [meeting_id, agenda, now_iso()],
            )

    def set_notes(self, meeting_id: int, text: str) -> None:
        """Save the user's raw notes (as typed). Only the user's edits call this."""
        self.get_meeting(meeting_id)
        ts = now_iso()
        with self.transaction():
            self.db.execute(
                "INSERT INTO raw_notes (meeting_id, text, updated_at) VALUES (?,?,?)"
                " ON CONFLICT(meeting_id) DO UPDATE SET text = excluded.text,"
                " updated_at = excluded.updated_at",
                [meeting_id, text, ts],
            )
            self.db.execute("UPDATE meetings SET updated_at = ? WHERE id = ?", [ts, meeting_id])

    # --- transcript ---------------------------------------------------------------------------

    def add_segments(self, meeting_id: int, segments: Iterable[Segment]) -> None:
        """Append committed segments (live transcription commits them as they become final)."""
        self.get_meeting(meeting_id)
        with self.transaction():
            self._insert_segments(meeting_id, segments)

    def replace_segments(self, meeting_id: int, segments: Iterable[Segment]) -> None:
        self.get_meeting(meeting_id)
        with self.transaction():
            self.db.execute("DELETE FROM segments WHERE meeting_id = ?", [meeting_id])
            self._insert_segments(meeting_id, segments)

    def get_transcript(self, meeting_id: int) -> Transcript:
        meeting = self.get_meeting(meeting_id)
        rows = self._rows("SELECT * FROM segments WHERE meeting_id = ? ORDER BY idx", [meeting_id])
        segs = tuple(
            Segment(
                index=r["idx"],
                start=r["start"],
                end=r["end"],
                text=r["text"],
                speaker=r["speaker"],
                channel=r["channel"],
            )
            for r in rows
        )
        return Transcript(segments=segs, language=meeting.language)

    def attendees_of(self, meeting_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        """The attendees of each of these meetings that exists."""
        out: dict[int, tuple[str, ...]] = {}
        for chunk in _chunks(list(meeting_ids)):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT id, attendees FROM meetings WHERE id IN ({marks})"
            for r in self._rows(sql, chunk):
                out[r["id"]] = tuple(json.loads(r["attendees"] or "[]"))
        return out

    def speakers_in(self, meeting_ids: Sequence[int]) -> set[str]:
        """Everyone who spoke in these meetings."""
        out: set[str] = set()
        for chunk in _chunks(list(meeting_ids)):
            marks = ",".join("?" * len(chunk))
            sql = (
                "SELECT DISTINCT speaker FROM segments"
                f" WHERE speaker IS NOT NULL AND meeting_id IN ({marks})"
            )
            out.update(r["speaker"] for r in self._rows(sql, chunk))
        return out

    def turns_of(self, meeting_ids: Sequence[int], speakers: Iterable[str]) -> dict[int, set[int]]:
        """Per meeting, the segment indexes these speakers said."""
        names = sorted(set(speakers))
        out: dict[int, set[int]] = {}
        if not names:
            return out
        for chunk in _chunks(list(meeting_ids), 900 - len(names)):
            in_meetings, in_names = ",".join("?" * len(chunk)), ",".join("?" * len(names))
            sql = (
                f"SELECT meeting_id, idx FROM segments WHERE meeting_id IN ({in_meetings})"
                f" AND speaker IN ({in_names})"
            )
            for r in self._rows(sql, [*chunk, *names]):
                out.setdefault(r["meeting_id"], set()).add(r["idx"])
        return out

    def segment_texts(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """The text of each (meeting id, segment index) asked for that exists."""
        out: dict[tuple[int, int], str] = {}
        for chunk in _chunks(list(keys), 400):
            values = ", ".join("(?, ?)" for _ in chunk)
            sql = (
                "SELECT meeting_id, idx, text FROM segments"
                f" WHERE (meeting_id, idx) IN (VALUES {values})"
            )
            for r in self._rows(sql, [v for key in chunk for v in key]):
                out[(r["meeting_id"], r["idx"])] = r["text"]
        return out

    def segment_count(self, meeting_id: int) -> int:
        row = self._one("SELECT count(*) AS n FROM segments WHERE meeting_id = ?", [meeting_id])
        return int(row["n"]) if row else 0

    def _insert_segments(self, meeting_id: int, segments: Iterable[Segment]) -> None:
        rows = [
            (meeting_id, s.index, float(s.start), float(s.end), s.speaker, s.channel, s.text)
            for s in segments
        ]
        if rows:
            self.db.conn.executemany(
                "INSERT INTO segments (meeting_id, idx, start, end, speaker, channel, text)"
                " VALUES (?,?,?,?,?,?,?)",
                rows,
            )

    # --- enhanced notes -----------------------------------------------------------------------

    def add_enhanced(self, notes: EnhancedNotes) -> EnhancedNotes:
        """Store a new version of a meeting's enhanced notes; returns it with version and time."""
        if notes.meeting_id is None:
            raise ValueError("enhanced notes need a meeting_id to be stored")
        self.get_meeting(notes.meeting_id)
        ts = now_iso()
        with self.transaction():
            row = self._one(
                "SELECT coalesce(max(version), 0) + 1 AS v FROM enhanced_notes"
                " WHERE meeting_id = ?",
                [notes.meeting_id],
            )
            version = int(row["v"])
            self.db.execute(
                "INSERT INTO enhanced_notes (meeting_id, version, mode, model, template, blocks,"
                " created_at) VALUES (?,?,?,?,?,?,?)",
                [
                    notes.meeting_id,
                    version,
                    notes.mode,
                    notes.model,
                    notes.template,
                    json.dumps([b.to_dict() for b in notes.blocks]),
                    ts,
                ],
            )
        return EnhancedNotes(
            meeting_id=notes.meeting_id,
            mode=notes.mode,
            blocks=notes.blocks,
            model=notes.model,
            template=notes.template,
            version=version,
            created_at=ts,
        )

    def get_enhanced(self, meeting_id: int, version: int | None = None) -> EnhancedNotes | None:
        """A version of the enhanced notes (the latest by default); None if never enhanced."""
        self.get_meeting(meeting_id)
        if version is None:
            row = self._one(
                "SELECT * FROM enhanced_notes WHERE meeting_id = ? ORDER BY version DESC LIMIT 1",
                [meeting_id],
            )
        else:
            row = self._one(
                "SELECT * FROM enhanced_notes WHERE meeting_id = ? AND version = ?",
                [meeting_id, version],
            )
        return _enhanced(row) if row else None

    def list_enhanced(self, meeting_id: int) -> list[EnhancedNotes]:
        rows = self._rows(
            "SELECT * FROM enhanced_notes WHERE meeting_id = ? ORDER BY version", [meeting_id]
        )
        return [_enhanced(r) for r in rows]

    # --- helpers ------------------------------------------------------------------------------

    def _rows(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        return rows(self.db, sql, params)

    def _one(self, sql: str, params: list[Any]) -> dict[str, Any] | None:
        return one(self.db, sql, params)


def _chunks(items: list[Any], size: int = 900) -> Iterator[list[Any]]:
    """``items`` in pieces small enough for SQLite's limit on bound values."""
    for at in range(0, len(items), max(size, 1)):
        yield items[at : at + size]


def _meeting(row: dict[str, Any]) -> Meeting:
    return Meeting(
        id=row["id"],
        title=row["title"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        duration=row["duration"],
        language=row["language"],
        audio_path=row["audio_path"],
        status=row["status"],
        attendees=tuple(json.loads(row["attendees"] or "[]")),
        notes=row.get("notes") or "",
        agenda=row.get("agenda"),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        folder=row.get("folder"),
        tags=tags_of(row.get("tags")),
    )


def _enhanced(row: dict[str, Any]) -> EnhancedNotes:
    return EnhancedNotes(
        meeting_id=row["meeting_id"],
        mode=row["mode"],
        blocks=tuple(Block.from_dict(b) for b in json.loads(row["blocks"])),
        model=row["model"],
        template=row["template"],
        version=row["version"],
        created_at=row["created_at"],
    )
