import sqlite3

import pytest

from notes_app.domain import Block, Citation, EnhancedNotes, Segment
from notes_app.errors import MeetingNotFound
from notes_app.store.db import migrations, open_db
from notes_app.store.repo import Repo


def _segs(n=3):
    return [Segment(i, i * 2.0, i * 2.0 + 1.5, f"line {i}", "them", 1) for i in range(n)]


def test_meeting_round_trip(repo):
    mid = repo.create_meeting(
        "Weekly sync", notes="4.2M\nrisk: Q3", segments=_segs(), language="en"
    )
    m = repo.get_meeting(mid)
    assert m.title == "Weekly sync" and m.notes == "4.2M\nrisk: Q3" and m.language == "en"
    t = repo.get_transcript(mid)
    assert [s.text for s in t.segments] == ["line 0", "line 1", "line 2"]
    assert t.segments[1].speaker == "them" and t.segments[1].channel == 1
    assert [x.id for x in repo.list_meetings()] == [mid]


def test_enhanced_versions_never_touch_raw_notes(repo):
    mid = repo.create_meeting("M", notes="pricing → Sarah", segments=_segs())
    blocks = (
        Block("bullet", "pricing → Sarah", "user", 1),
        Block("bullet", "Sarah owns pricing", "ai", 1, (Citation(1, 2.0, 3.5),)),
    )
    v1 = repo.add_enhanced(EnhancedNotes(mid, "offline", blocks))
    v2 = repo.add_enhanced(EnhancedNotes(mid, "offline", blocks[:1]))
    assert (v1.version, v2.version) == (1, 2)
    assert repo.get_enhanced(mid).version == 2
    assert repo.get_enhanced(mid, 1).blocks == blocks
    assert repo.get_meeting(mid).notes == "pricing → Sarah"


def test_failed_import_leaves_nothing(repo):
    dup = _segs(2) + [_segs(1)[0]]  # duplicate index violates the primary key mid-insert
    with pytest.raises(sqlite3.IntegrityError):
        repo.create_meeting("broken", segments=dup)
    assert repo.list_meetings() == []
    assert repo.db.execute("select count(*) from segments").fetchone()[0] == 0
    assert repo.db.execute("select count(*) from raw_notes").fetchone()[0] == 0


def test_delete_cascades(repo):
    mid = repo.create_meeting("M", notes="x", segments=_segs())
    repo.add_enhanced(EnhancedNotes(mid, "offline", (Block("paragraph", "x", "user", 1),)))
    repo.delete_meeting(mid)
    with pytest.raises(MeetingNotFound):
        repo.get_meeting(mid)
    for table in ("segments", "raw_notes", "enhanced_notes"):
        assert repo.db.execute(f"select count(*) from {table}").fetchone()[0] == 0


def test_wal_mode(tmp_path):
    db = open_db(tmp_path / "n.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_migrations_from_empty_and_every_earlier_version(tmp_path):
    names = [m.name for m in migrations._migrations]
    for i, stop in enumerate(names):
        path = tmp_path / f"v{i}.db"
        db = open_db(path, apply=False)
        migrations.apply(db, stop_before=stop)  # a database as an earlier release left it
        assert [m.name for m in migrations.applied(db)] == names[:i]
        db.conn.close()
        repo = Repo(open_db(path))  # opening upgrades it
        assert [m.name for m in migrations.applied(repo.db)] == names
        mid = repo.create_meeting("after upgrade", segments=_segs(1))
        assert repo.get_transcript(mid).segments[0].text == "line 0"
    # Opening an up-to-date database again is a no-op.
    again = open_db(tmp_path / "v0.db")
    assert [m.name for m in migrations.applied(again)] == names


def test_data_survives_upgrade(tmp_path):
    """A database written by the first release keeps its meetings through every migration."""
    names = [m.name for m in migrations._migrations]
    path = tmp_path / "old.db"
    db = open_db(path, apply=False)
    migrations.apply(db, stop_before=names[1])  # the schema as m001 left it
    with db.atomic():  # written with that release's SQL, not today's repo
        db.execute(
            "INSERT INTO meetings (id, title, status, attendees, created_at, updated_at)"
            " VALUES (1, 'old meeting', 'done', '[]', '2025-01-01', '2025-01-01')"
        )
        db.execute("INSERT INTO raw_notes VALUES (1, 'kept', '2025-01-01')")
        for s in _segs(2):
            db.execute(
                "INSERT INTO segments VALUES (1, ?, ?, ?, ?, ?, ?)",
                [s.index, s.start, s.end, s.speaker, s.channel, s.text],
            )
    db.conn.close()
    repo = Repo(open_db(path))
    m = repo.list_meetings()[0]
    assert m.title == "old meeting" and m.notes == "kept" and m.agenda is None
    assert len(repo.get_transcript(m.id).segments) == 2
