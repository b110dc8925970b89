"""Several processes writing one database at once: each waits its turn, none fails.

A write transaction that reads before its first write (the search index does) would find its
snapshot stale once another process had committed, and SQLite answers that with "database is
locked" at once, busy timeout or not. Writers take the write lock up front instead.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from notes_app.domain import Block, EnhancedNotes
from notes_app.store.repo import Repo

WRITERS = 4
ROUNDS = 12
SEGMENTS = 120

# Each writer does what an import, an enhancement and a question do, over and over.
WRITER = textwrap.dedent(
    """
    import sys

    from notes_app.domain import Block, EnhancedNotes, Segment
    from notes_app.store.repo import Repo

    path, name, rounds, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    failures = 0
    with Repo.open(path) as repo:
        for r in range(rounds):
            try:
                segments = [
                    Segment(i, i * 2.0, i * 2.0 + 1.5, f"{name} says budget item {r} {i}", "me", 0)
                    for i in range(count)
                ]
                mid = repo.create_meeting(f"{name} {r}", notes="- budget", segments=segments)
                repo.set_notes(mid, f"- budget\\n- round {r}")
                block = Block("text", "ok", "user")
                repo.add_enhanced(EnhancedNotes(meeting_id=mid, mode="offline", blocks=(block,)))
                repo.chat.add(mid, "what budget?", "this one", "offline", [])
            except Exception as e:  # counted and printed: the test asserts there are none
                failures += 1
                print(f"{name} round {r}: {type(e).__name__}: {e}", file=sys.stderr)
    sys.exit(1 if failures else 0)
    """
)


def test_parallel_writer_processes_never_fail(tmp_path):
    path = tmp_path / "notes.db"
    with Repo.open(path) as repo:  # created and migrated before the writers start
        repo.create_meeting("already here", notes="- kept")
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), f"w{n}", str(ROUNDS), str(SEGMENTS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(WRITERS)
    ]
    results = [(w.wait(timeout=300), w.stderr.read()) for w in writers]
    for w in writers:
        w.stdout.close()
        w.stderr.close()

    errors = [err for code, err in results if code != 0]
    assert errors == []
    with Repo.open(path) as repo:
        meetings = repo.list_meetings()
        assert len(meetings) == 1 + WRITERS * ROUNDS
        made = [m for m in meetings if m.title != "already here"]
        assert all(repo.segment_count(m.id) == SEGMENTS for m in made)
        assert all(repo.get_enhanced(m.id).version == 1 for m in made)
        assert all(len(repo.chat.history(m.id)) == 1 for m in made)
        assert repo.get_meeting(meetings[-1].id).notes == "- kept"


def test_transaction_nests_and_rolls_back_as_one(repo):
    mid = repo.create_meeting("outer", notes="- before")
    try:
        with repo.transaction():
            repo.set_notes(mid, "- inside")  # its own transaction becomes a savepoint
            repo.add_enhanced(
                EnhancedNotes(meeting_id=mid, mode="offline", blocks=(Block("text", "x", "user"),))
            )
            raise RuntimeError("stop")
    except RuntimeError:
        pass
    assert repo.get_meeting(mid).notes == "- before"
    assert repo.get_enhanced(mid) is None
    assert not repo.db.conn.in_transaction
