"""Questions asked about meetings, with their answers and citations, kept like notes are.

A conversation about one meeting is stored with it (and deleted with it); questions asked
across all meetings have no meeting.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from notes_app.clock import now_iso
from notes_app.store.db import Database, rows, transaction


def install_chat_schema(db: Database) -> None:
    """Run by migration m003_ask_history. Never change it: add a new migration instead."""
    db.execute(
        """
        CREATE TABLE ask_history (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER REFERENCES meetings(id) ON DELETE CASCADE,
            question TEXT NOT NULL,
            answer TEXT NOT NULL,
            mode TEXT NOT NULL,
            citations TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX ask_history_meeting ON ask_history(meeting_id, id)")


@dataclass(frozen=True)
class Exchange:
    id: int
    meeting_id: int | None
    question: str
    answer: str
    mode: str
    citations: tuple[dict[str, Any], ...]
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "meeting_id": self.meeting_id,
            "question": self.question,
            "answer": self.answer,
            "mode": self.mode,
            "citations": list(self.citations),
            "created_at": self.created_at,
        }


class ChatStore:
    def __init__(self, db: Database):
        self.db = db

    def add(
        self,
        meeting_id: int | None,
        question: str,
        answer: str,
        mode: str,
        citations: list[dict[str, Any]],
    ) -> int:
        with transaction(self.db):
            cur = self.db.execute(
                "INSERT INTO ask_history (meeting_id, question, answer, mode, citations,"
                " created_at) VALUES (?,?,?,?,?,?)",
                [meeting_id, question, answer, mode, json.dumps(citations), now_iso()],
            )
        return int(cur.lastrowid)

    def history(self, meeting_id: int | None, limit: int = 50) -> list[Exchange]:
        """Oldest first; ``meeting_id=None`` gives the questions asked across all meetings."""
        where = "meeting_id IS NULL" if meeting_id is None else "meeting_id = ?"
        params: list[Any] = [] if meeting_id is None else [meeting_id]
        found = rows(
            self.db,
            f"SELECT * FROM (SELECT * FROM ask_history WHERE {where} ORDER BY id DESC LIMIT ?)"
            " ORDER BY id",
            [*params, int(limit)],
        )
        return [_exchange(r) for r in found]


def _exchange(row: dict[str, Any]) -> Exchange:
    return Exchange(
        id=row["id"],
        meeting_id=row["meeting_id"],
        question=row["question"],
        answer=row["answer"],
        mode=row["mode"],
        citations=tuple(json.loads(row["citations"] or "[]")),
        created_at=row["created_at"],
    )
