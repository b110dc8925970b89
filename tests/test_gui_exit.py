"""The app exits cleanly after a recording: run() returns 0 and the process exits with 0.

Interpreter shutdown once aborted here ("bool_dealloc … refcount error in a C extension",
exit code 250) when worker threads and Qt objects outlived the window; run() now ends them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from speech import say  # noqa: E402

from notes_app.store.repo import Repo  # noqa: E402

pytestmark = pytest.mark.slow

CHILD = Path(__file__).with_name("record_and_quit.py")


def test_the_app_exits_with_0_after_a_recording(tmp_path, notes_home):
    mic = say("Can we move the launch to March?", tmp_path / "me.wav")
    call = say("Yes, the launch moves to the twelfth of March.", tmp_path / "them.wav")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONFAULTHANDLER="1")
    runs = []
    for _ in range(2):  # the abort was intermittent: two launches on the same data folder
        proc = subprocess.run(
            [sys.executable, str(CHILD), str(mic), str(call)],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        runs.append(proc)
        assert "run() returned 0 after step closed" in proc.stdout, proc.stderr[-3000:]
        assert proc.returncode == 0, proc.stderr[-3000:]
        # The window and its database threads were deleted while Qt still ran.
        assert "left for shutdown: []" in proc.stdout, proc.stdout
        assert "Fatal Python error" not in proc.stderr
        assert "error:" not in proc.stderr, proc.stderr[-3000:]
    with Repo.open(notes_home / "notes.db") as repo:
        meetings = repo.list_meetings()
        assert len(meetings) == 2
        for m in meetings:
            full = repo.get_meeting(m.id)
            assert full.status == "done"
            assert "launch date?" in full.notes
            assert repo.get_transcript(m.id).segments
