"""The window's words: dates, times and speakers said one way, as the rest of the app says them."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

pytest.importorskip("PySide6")

from notes_app.clock import day_label, human_date  # noqa: E402
from notes_app.domain import Meeting  # noqa: E402
from notes_app.gui.meeting_view import meta_text  # noqa: E402


def local_iso(*args: int) -> str:
    """A stored (UTC) timestamp for a local wall-clock time on this machine."""
    return datetime(*args).astimezone().astimezone(timezone.utc).isoformat()


def test_the_meeting_header_keeps_the_hour_whole():
    m = Meeting(id=1, title="Standup", started_at=local_iso(2025, 3, 1, 9, 5), duration=754)
    assert meta_text(m) == "Saturday 1 March 2025, 09:05  ·  12:34"


def test_day_labels_are_relative_then_human():
    today = date(2025, 3, 10)
    assert day_label(today, today) == "Today"
    assert day_label(date(2025, 3, 9), today) == "Yesterday"
    assert day_label(date(2025, 3, 3), today) == "Monday 3 March"
    assert day_label(date(2024, 12, 31), today) == "31 December 2024"
    assert human_date(datetime(2025, 3, 1, 14, 5), time=True) == "1 March 2025, 14:05"


def test_the_user_is_you_in_the_transcript_the_record_bar_and_search(qtbot):
    from notes_app.domain import CHANNEL_ME, CHANNEL_THEM, Segment
    from notes_app.gui.app import qt_app
    from notes_app.gui.record_bar import RecordBar
    from notes_app.gui.search_results import where_label
    from notes_app.gui.transcript_panel import TranscriptPanel
    from notes_app.store.search import SearchResult

    qt_app()
    panel = TranscriptPanel()
    qtbot.addWidget(panel)
    panel.view.set_segments(
        [
            Segment(0, 0.0, 2.0, "Can we ship on Friday?", "me", CHANNEL_ME),
            Segment(1, 2.0, 4.0, "Friday works.", "them", CHANNEL_THEM),
        ]
    )
    panel.view.set_tentative(CHANNEL_ME, "and the docs")
    lines = panel.view.toPlainText().splitlines()
    assert "You  Can we ship on Friday?" in lines[0]
    assert "Them  Friday works." in lines[1]
    assert "You  and the docs …" in lines[2]
    assert "Me" not in panel.view.toPlainText()
    bar = RecordBar()
    qtbot.addWidget(bar)
    assert (bar.me_label.text(), bar.them_label.text()) == ("You", "Them")
    hit = SearchResult(1, "Sync", "transcript", 0, 0.0, "ship", 1.0, speaker="me")
    assert where_label(hit) == "Transcript 00:00 · You"
