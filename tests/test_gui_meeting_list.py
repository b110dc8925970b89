"""The meeting list reads a page at a time: start-up costs the same with 300 meetings or 3,000."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402

from notes_app.gui.app import qt_app  # noqa: E402
from notes_app.gui.sidebar import PAGE, Sidebar  # noqa: E402

PER_DAY = 3  # a page of 100 ends in the middle of a day


@pytest.fixture
def meetings(app) -> list[int]:
    """250 meetings, three a day, oldest first (ids ascending)."""
    start = datetime(2024, 1, 1, 9, tzinfo=timezone.utc)
    ids = []
    with app.repo.transaction():
        for n in range(250):
            when = start + timedelta(days=n // PER_DAY, hours=n % PER_DAY)
            ids.append(app.repo.create_meeting(f"Sync {n}", started_at=when.isoformat()))
    return ids


@pytest.fixture
def sidebar(qtbot, app):
    qt_app()
    bar = Sidebar()
    qtbot.addWidget(bar)
    bar.resize(300, 700)
    bar.show()
    return bar


def test_the_list_starts_with_one_page_and_reads_on_as_it_scrolls(qtbot, app, sidebar, meetings):
    asked: list[tuple[int, int]] = []

    def pages(offset: int, limit: int):
        asked.append((offset, limit))
        return app.repo.meeting_headers(offset, limit)

    sidebar.show_pages(pages)
    qtbot.wait(50)  # the view lays itself out: a full page needs nothing more
    assert asked == [(0, PAGE)]
    newest_first = meetings[::-1]
    assert sidebar.visible_ids() == newest_first[:PAGE]
    sidebar.meeting_list.scrollToBottom()
    qtbot.waitUntil(lambda: len(sidebar.visible_ids()) > PAGE)
    assert asked[1] == (PAGE, PAGE)
    assert sidebar.visible_ids() == newest_first[: len(sidebar.visible_ids())]


def test_selecting_an_old_meeting_reads_down_to_it_with_one_heading_a_day(
    qtbot, app, sidebar, meetings
):
    sidebar.show_pages(app.repo.meeting_headers)
    with qtbot.waitSignal(sidebar.meeting_selected) as selected:
        sidebar.select(meetings[0])
    assert selected.args == [meetings[0]] and sidebar.current_id() == meetings[0]
    assert sidebar.visible_ids() == meetings[::-1]
    days = sidebar.day_labels()
    assert len(days) == len(set(days)) == -(-250 // PER_DAY)  # none repeated across pages
    assert days[-1] == "1 JANUARY 2024"

    # A refresh keeps the current meeting, however far down it is.
    sidebar.show_pages(app.repo.meeting_headers)
    assert sidebar.current_id() == meetings[0]


def test_a_click_on_a_day_heading_opens_nothing(qtbot, app, sidebar, meetings):
    sidebar.show_pages(app.repo.meeting_headers)
    heading = sidebar.model.index(0)
    assert heading.data() == sidebar.day_labels()[0]
    chosen = []
    sidebar.meeting_chosen.connect(chosen.append)
    rect = sidebar.meeting_list.visualRect(heading)
    qtbot.mouseClick(sidebar.meeting_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    first = sidebar.meeting_list.visualRect(sidebar.index_of(meetings[-1]))
    qtbot.mouseClick(sidebar.meeting_list.viewport(), Qt.MouseButton.LeftButton, pos=first.center())
    assert chosen == [meetings[-1]]
