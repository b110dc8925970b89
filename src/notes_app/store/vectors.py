"""Embedding vectors of transcript segments, kept per model so a second search stage can reuse them.

Vectors are computed lazily (the first time a meeting is searched semantically) and stored as
float16 blobs: a 256-number vector is 512 bytes a segment. Triggers drop a segment's vectors
when its text changes or it goes away, so a stale vector is never read.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import numpy as np

from notes_app.errors import StorageError
from notes_app.store.db import Database, transaction

log = logging.getLogger(__name__)


def install_vectors_schema(db: Database) -> None:
    """Run by migration m005_segment_vectors. Never change what this creates."""
    db.execute(
        """
        CREATE TABLE segment_vectors (
            model TEXT NOT NULL,
            meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            vector BLOB NOT NULL,
            PRIMARY KEY (model, meeting_id, idx)
        )
        """
    )
    drop_old = """DELETE FROM segment_vectors
        WHERE meeting_id = old.meeting_id AND idx = old.idx"""
    db.execute(f"CREATE TRIGGER vectors_segments_au AFTER UPDATE ON segments BEGIN {drop_old}; END")
    db.execute(f"CREATE TRIGGER vectors_segments_ad AFTER DELETE ON segments BEGIN {drop_old}; END")
    # An insert that replaces a row (REPLACE) fires no delete trigger: drop what was there.
    db.execute(
        """CREATE TRIGGER vectors_segments_ai AFTER INSERT ON segments BEGIN
        DELETE FROM segment_vectors WHERE meeting_id = new.meeting_id AND idx = new.idx; END"""
    )


class VectorStore:
    """Segment vectors, kept in the database; a cache, so when it cannot be written (a full
    disk) they are kept for this connection only and asking still works."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._unsaved: dict[tuple[str, int, int], bytes] = {}

    def missing(self, model: str, meeting_ids: Sequence[int]) -> list[tuple[int, int, str]]:
        """(meeting_id, idx, text) of the segments of these meetings without a vector yet."""
        rows = self.db.execute(
            """SELECT s.meeting_id, s.idx, s.text FROM segments s
            WHERE s.meeting_id IN (SELECT value FROM json_each(?))
              AND NOT EXISTS (SELECT 1 FROM segment_vectors v WHERE v.model = ?
                              AND v.meeting_id = s.meeting_id AND v.idx = s.idx)
            ORDER BY s.meeting_id, s.idx""",
            [json.dumps(list(meeting_ids)), model],
        ).fetchall()
        return [(m, i, t) for m, i, t in rows if (model, m, i) not in self._unsaved]

    def save(self, model: str, keys: Sequence[tuple[int, int]], vectors: np.ndarray) -> None:
        blobs = vectors.astype("<f2").tobytes()
        width = vectors.shape[1] * 2
        rows = [(model, m, i, blobs[n * width : (n + 1) * width]) for n, (m, i) in enumerate(keys)]
        try:
            with transaction(self.db):
                self.db.conn.executemany(
                    "INSERT OR REPLACE INTO segment_vectors(model, meeting_id, idx, vector)"
                    " VALUES (?, ?, ?, ?)",
                    rows,
                )
        except StorageError as e:
            log.warning("Search vectors kept in memory only: %s", e)
            self._unsaved.update({(model, m, i): blob for model, m, i, blob in rows})

    def load(
        self, model: str, meeting_ids: Sequence[int]
    ) -> tuple[list[tuple[int, int]], np.ndarray]:
        """Keys (meeting_id, idx) and one float32 row per key."""
        rows = self.db.execute(
            """SELECT meeting_id, idx, vector FROM segment_vectors
            WHERE model = ? AND meeting_id IN (SELECT value FROM json_each(?))
            ORDER BY meeting_id, idx""",
            [model, json.dumps(list(meeting_ids))],
        ).fetchall()
        if self._unsaved:
            wanted = set(meeting_ids)
            rows += [
                (m, i, blob)
                for (mm, m, i), blob in self._unsaved.items()
                if mm == model and m in wanted
            ]
            rows.sort(key=lambda r: (r[0], r[1]))
        if not rows:
            return [], np.zeros((0, 0), dtype=np.float32)
        matrix = np.frombuffer(b"".join(r[2] for r in rows), dtype="<f2")
        return [(r[0], r[1]) for r in rows], matrix.reshape(len(rows), -1).astype(np.float32)
