"""Checking the database (`notes-app doctor`) and repairing it (`notes-app repair`).

A sound database only has its search index rebuilt. A damaged one is never written again:
what can still be read goes into a new database, which takes its place, and the damaged file is
kept beside it (``notes-damaged-YYYYMMDD-HHMMSS.db``). Reading goes page by page
(store/pages.py), so rows under a destroyed page are still found; which table a page cut off
from its tree belongs to is told by its rows' shape (column count, types, timestamps). What
the tables lost, the search index often still holds: a meeting's title, the notes as typed, and
transcript lines with their time and speaker.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from notes_app.clock import now_iso
from notes_app.domain import CHANNEL_ME, CHANNEL_THEM, ME, THEM
from notes_app.errors import StorageError
from notes_app.store.damage import clear_damage, quick_check, recorded_damage
from notes_app.store.db import Database, open_db, transaction
from notes_app.store.pages import PageFile
from notes_app.store.search import KINDS, _backfill

log = logging.getLogger(__name__)

# The tables salvaged, in the order they are filled (meetings before what refers to them).
# Segment vectors are a cache (computed again when asked), the search index is rebuilt.
SALVAGED = ("meetings", "raw_notes", "segments", "enhanced_notes", "ask_history", "share_links")
LAST_SEGMENT_SECONDS = 5.0  # the end of a transcript line rebuilt from the index, when unknown
KEPT_GLOB = "*-damaged-*.db"


@dataclass(frozen=True)
class Health:
    ok: bool
    problems: tuple[str, ...]
    size: int  # bytes

    def advice(self, path: Path) -> str:
        if self.ok:
            return f"{path} is sound ({self.size / 1e6:.1f} MB)"
        shown = "; ".join(self.problems[:2])
        return (
            f"{path} is damaged ({shown}). Restore it from a backup, or run `notes-app repair`: "
            "it rebuilds the search index and saves what can still be read into a new database, "
            "keeping the damaged file"
        )


@dataclass
class Repaired:
    sound: bool  # nothing was damaged: only the search index was rebuilt
    problems: tuple[str, ...] = ()
    kept: Path | None = None  # the damaged file, kept
    saved: Counter[str] = field(default_factory=Counter)  # rows saved per table
    from_index: Counter[str] = field(default_factory=Counter)  # rebuilt from the search index
    unplaced: int = 0  # rows found on pages no table could be told for
    skipped: Counter[str] = field(default_factory=Counter)  # rows the new database refused

    def summary(self) -> str:
        if self.sound:
            return "The database is sound; its search index was rebuilt from your meetings."
        parts = [
            f"{self.saved['meetings']} meeting(s)",
            f"{self.saved['raw_notes']} set(s) of notes",
            f"{self.saved['segments']} transcript line(s)",
            f"{self.saved['enhanced_notes']} enhanced version(s)",
            f"{self.saved['ask_history']} question(s)",
            f"{self.saved['share_links']} share link record(s)",
        ]
        lines = [
            f"The database was damaged ({'; '.join(self.problems[:2])}).",
            "Saved what could be read into a new database: " + ", ".join(parts) + ".",
        ]
        rebuilt = [
            f"{n} {what}"
            for what, n in (
                (
                    "meeting(s) from their title (an audio link is lost)",
                    self.from_index["meetings"],
                ),
                ("set(s) of notes", self.from_index["raw_notes"]),
                ("transcript line(s) (end times estimated)", self.from_index["segments"]),
            )
            if n
        ]
        if rebuilt:
            lines.append("Rebuilt from the search index: " + ", ".join(rebuilt) + ".")
        lost = self.unplaced + sum(self.skipped.values())
        if lost:
            lines.append(f"{lost} damaged row(s) could not be saved.")
        if self.kept:
            lines.append(f"The damaged file is kept as {self.kept}.")
        return "\n".join(lines)


def check_database(path: Path) -> Health:
    """``PRAGMA quick_check`` on the file, read-only (None of it is changed)."""
    path = Path(path)
    if not path.is_file():
        return Health(True, (), 0)
    size = path.stat().st_size
    conn = None
    for query in ("mode=ro", "immutable=1"):
        try:
            conn = sqlite3.connect(f"{path.as_uri()}?{query}", uri=True)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            break
        except sqlite3.DatabaseError as e:
            if conn is not None:
                conn.close()
            conn = None
            problem = str(e)
    if conn is None:
        return Health(False, (problem,), size)
    try:
        problems = quick_check(conn)
    finally:
        conn.close()
    earlier = recorded_damage(path)
    if earlier and not problems:
        problems = [f"an earlier run found: {earlier}; it checks sound now"]
    return Health(not problems, tuple(problems), size)


def repair(path: Path) -> Repaired:
    """Rebuild the search index of a sound database; salvage a damaged one (see the module)."""
    path = Path(path)
    if not path.is_file():
        raise StorageError(f"There is no database at {path}: nothing to repair.")
    health = check_database(path)
    if health.ok:
        clear_damage(path)  # a file restored from a backup is writable again
        db = open_db(path)
        try:
            rebuild_search_index(db)
        finally:
            db.conn.close()
        return Repaired(sound=True)
    new = path.with_name(path.name + ".repairing")
    _remove_database(new)
    try:
        report = salvage(path, new)
    except BaseException:
        _remove_database(new)
        raise
    report.problems = health.problems
    kept = path.with_name(f"{path.stem}-damaged-{datetime.now():%Y%m%d-%H%M%S}{path.suffix}")
    try:
        os.replace(path, kept)
        for suffix in ("-wal", "-shm"):
            if Path(f"{path}{suffix}").exists():
                os.replace(f"{path}{suffix}", f"{kept}{suffix}")
        os.replace(new, path)
    except OSError as e:
        raise StorageError(
            f"Could not put the repaired database in place ({e.strerror}). The salvaged copy is "
            f"{new}; the damaged file is {kept if kept.exists() else path}."
        ) from None
    clear_damage(path)
    report.kept = kept
    return report


def rebuild_search_index(db: Database) -> None:
    """The search index made again from the meetings, notes, transcripts and enhanced notes.

    The triggers keeping the full-text index in step with its documents are set aside while
    the documents are made again (removing a document tells a damaged index to forget words
    it may not hold), then the index is rebuilt from the documents in one go."""
    sync = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'search_docs'"
    ).fetchall()
    with transaction(db):
        for name, _sql in sync:
            db.execute(f"DROP TRIGGER {name}")
        db.execute("DELETE FROM search_docs")
        _backfill(db)
        for _name, sql in sync:
            db.execute(sql)
        db.execute("INSERT INTO search_index(search_index) VALUES ('rebuild')")


def kept_damaged(folder: Path) -> list[Path]:
    """Damaged databases a repair kept in ``folder``."""
    return sorted(Path(folder).glob(KEPT_GLOB))


# --- salvage ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    name: str
    type: str
    notnull: bool
    alias: bool  # INTEGER PRIMARY KEY: stored as NULL, the value is the rowid


def salvage(source: Path, target: Path) -> Repaired:
    """What can be read of ``source`` (damaged) stored in a new database at ``target``."""
    db = open_db(target)
    try:
        columns = {t: _columns(db, t) for t in (*SALVAGED, "search_docs")}
        with PageFile(source) as pages:
            found, unplaced, started = _read_rows(pages, columns)
        report = Repaired(sound=False, unplaced=unplaced)
        _fill_from_index(found, started, report)
        _store(db, found, report)
    finally:
        db.conn.close()
    return report


def _columns(db: Database, table: str) -> list[_Column]:
    info = db.execute(f"PRAGMA table_info({table})").fetchall()
    pk = [r for r in info if r[5]]
    return [
        _Column(
            r[1],
            (r[2] or "").upper(),
            bool(r[3]),
            len(pk) == 1 and r[5] == 1 and (r[2] or "").upper() == "INTEGER",
        )
        for r in info
    ]


def _read_rows(
    pages: PageFile, columns: dict[str, list[_Column]]
) -> tuple[dict[str, dict[int, dict[str, Any]]], int, dict[int, str]]:
    """Rows of each salvaged table by rowid: first from the tables' own trees, then from
    pages cut off from any tree, told apart by their rows' shape."""
    found: dict[str, dict[int, dict[str, Any]]] = {t: {} for t in columns}
    schema = pages.schema()
    leaves, interior, _ = pages.tree(1)  # the schema's own pages
    reached: set[int] = {1} | leaves | interior
    for entry in schema:
        if entry.type != "table" or entry.rootpage <= 0:
            continue
        leaves, interior, _ = pages.tree(entry.rootpage)
        reached |= leaves | interior
        if entry.name in found:
            for leaf in leaves:
                for rowid, values in pages.cells(leaf):
                    row = _shape(columns[entry.name], rowid, values)
                    if row is not None:
                        found[entry.name][rowid] = row
    unplaced = 0
    for page in sorted(pages.leaf_pages() - reached - pages.freelist()):
        cells = list(pages.cells(page))
        readable = [(rowid, values) for rowid, values in cells if values is not None]
        owners = [
            table
            for table, cols in columns.items()
            if readable and all(_shape(cols, r, v) is not None for r, v in readable)
        ]
        if len(owners) != 1:
            unplaced += len(cells)
            continue
        for rowid, values in readable:
            found[owners[0]].setdefault(rowid, _shape(columns[owners[0]], rowid, values) or {})
        unplaced += len(cells) - len(readable)
    started: dict[int, str] = {}
    for entry in schema:
        if entry.type == "index" and entry.name == "meetings_started":
            for key in pages.index_records(entry.rootpage):
                if len(key) == 2 and isinstance(key[1], int) and isinstance(key[0], str):
                    started[key[1]] = key[0]
    return found, unplaced, started


def _shape(columns: list[_Column], rowid: int, values: list[Any] | None) -> dict[str, Any] | None:
    """``values`` as a row of the table with ``columns``, or None when they cannot be one."""
    if values is None or len(values) > len(columns):
        return None
    needed = 1 + max((i for i, c in enumerate(columns) if c.notnull), default=-1)
    if len(values) < needed:
        return None
    row: dict[str, Any] = {}
    for column, value in zip(columns, values, strict=False):
        if column.alias:
            if value is not None:
                return None
            value = rowid
        elif not _fits(column, value):
            return None
        row[column.name] = value
    if "kind" in row and row["kind"] not in KINDS:
        return None
    return row


def _fits(column: _Column, value: Any) -> bool:
    if value is None:
        return not column.notnull
    kind = column.type
    if "INT" in kind:
        return isinstance(value, int)
    if "REAL" in kind:
        return isinstance(value, int | float)
    if "BLOB" in kind:
        return isinstance(value, bytes)
    if not isinstance(value, str):
        return False
    if column.name.endswith("_at"):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return False
    return True


def _fill_from_index(
    found: dict[str, dict[int, dict[str, Any]]], started: dict[int, str], report: Repaired
) -> None:
    """What the tables lost and the search index still holds: meetings (by their title),
    the notes as typed, transcript lines."""
    docs = list(found.pop("search_docs").values())
    now = now_iso()
    meetings = found["meetings"]
    titles = {d["meeting_id"]: d.get("title") for d in docs if d["kind"] == "title"}
    notes = {d["meeting_id"]: d.get("notes") or "" for d in docs if d["kind"] == "notes"}
    lines = [d for d in docs if d["kind"] == "transcript" and d.get("segment") is not None]
    wanted = set(titles) | set(notes) | {d["meeting_id"] for d in lines}
    for table in SALVAGED[1:]:
        wanted |= {r["meeting_id"] for r in found[table].values() if r.get("meeting_id")}
    for mid in sorted(wanted - set(meetings)):
        meetings[mid] = {
            "id": mid,
            "title": titles.get(mid) or f"Recovered meeting {mid}",
            "started_at": started.get(mid),
            "status": "done",
            "attendees": "[]",
            "created_at": now,
            "updated_at": now,
        }
        report.from_index["meetings"] += 1
    have_notes = {r["meeting_id"] for r in found["raw_notes"].values()}
    for mid, text in notes.items():
        if mid not in have_notes:
            # Keys below zero: rows made here have no rowid of their own.
            found["raw_notes"][-mid] = {"meeting_id": mid, "text": text, "updated_at": now}
            report.from_index["raw_notes"] += 1
    have_lines = {(r["meeting_id"], r["idx"]) for r in found["segments"].values()}
    starts: dict[int, list[float]] = {}
    for r in found["segments"].values():
        starts.setdefault(r["meeting_id"], []).append(float(r["start"]))
    for d in lines:
        starts.setdefault(d["meeting_id"], []).append(float(d.get("start") or 0.0))
    for n, d in enumerate(lines):
        key = (d["meeting_id"], d["segment"])
        if key in have_lines:
            continue
        have_lines.add(key)
        start = float(d.get("start") or 0.0)
        later = [s for s in starts[d["meeting_id"]] if s > start]
        speaker = d.get("speaker")
        found["segments"][-1 - n] = {
            "meeting_id": d["meeting_id"],
            "idx": d["segment"],
            "start": start,
            "end": min(later) if later else start + LAST_SEGMENT_SECONDS,
            "speaker": speaker,
            "channel": {ME: CHANNEL_ME, THEM: CHANNEL_THEM}.get(speaker or ""),
            "text": d.get("transcript") or "",
        }
        report.from_index["segments"] += 1
    for mid, meeting in meetings.items():
        if meeting.get("duration") is None:
            ends = [r["end"] for r in found["segments"].values() if r["meeting_id"] == mid]
            meeting["duration"] = max(ends) if ends else None


def _store(db: Database, found: dict[str, dict[int, dict[str, Any]]], report: Repaired) -> None:
    """Every row in one transaction; a row the new database refuses (a broken reference, a
    duplicate) is left out alone, under a savepoint of its own."""
    with transaction(db):
        for table in SALVAGED:
            for row in found[table].values():
                names = ", ".join(row)
                marks = ", ".join("?" for _ in row)
                db.execute("SAVEPOINT salvage_row")
                try:
                    db.execute(
                        f"INSERT INTO {table} ({names}) VALUES ({marks})", list(row.values())
                    )
                except sqlite3.DatabaseError:
                    db.execute("ROLLBACK TO salvage_row")
                    report.skipped[table] += 1
                    log.warning("Salvage: a %s row was refused", table, exc_info=True)
                else:
                    report.saved[table] += 1
                db.execute("RELEASE salvage_row")


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
