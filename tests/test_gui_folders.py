"""The sidebar by folder: a real store in a temp folder, the real list and window; meetings moved
by dropping the list's own drag data on a folder, and with "Move to folder…"."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPointF, Qt  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from notes_app.gui.app import qt_app  # noqa: E402
from notes_app.gui.folders import meeting_source  # noqa: E402
from notes_app.gui.folders_model import (  # noqa: E402
    COUNT,
    EXPANDED,
    FOLDER,
    MORE,
    NO_FOLDER,
    PAGE,
    ROW_KIND,
)
from notes_app.gui.main_window import MainWindow  # noqa: E402
from notes_app.gui.sidebar import Sidebar  # noqa: E402

START = datetime(2024, 3, 1, 9, tzinfo=timezone.utc)


def make(app, title: str, n: int, folder: str | None = None) -> int:
    mid = app.repo.create_meeting(title, started_at=(START + timedelta(hours=n)).isoformat())
    if folder is not None:
        app.move_meeting(mid, folder)
    return mid


@pytest.fixture
def filed(app) -> dict[str, list[int]]:
    """PAGE + 50 meetings in Clients/Acme, two in Team, three in no folder (newest last)."""
    made: dict[str, list[int]] = {"Clients/Acme": [], "Team": [], "": []}
    with app.repo.transaction():
        for n in range(PAGE + 50):
            made["Clients/Acme"].append(make(app, f"Acme {n}", n, "Clients/Acme"))
        for n in range(2):
            made["Team"].append(make(app, f"Team {n}", 500 + n, "Team"))
        for n in range(3):
            made[""].append(make(app, f"Loose {n}", 600 + n))
    return made


@pytest.fixture
def sidebar(qtbot):
    qt_app()
    bar = Sidebar()
    qtbot.addWidget(bar)
    bar.resize(300, 700)
    bar.show()
    return bar


def counting(app, asked: list):
    """The window's source, noting each page it is asked for."""
    source = meeting_source(app)

    def page(folder, offset, limit):
        asked.append((folder, offset, limit))
        return source.page(folder, offset, limit)

    return type(source)(page=page, folders=source.folders, folder_of=source.folder_of)


def headings(bar: Sidebar) -> list[tuple[str, bool, int | None]]:
    model = bar.model
    out = []
    for row in range(model.rowCount()):
        index = model.index(row)
        if index.data(ROW_KIND) == FOLDER:
            out.append((index.data(), index.data(EXPANDED), index.data(COUNT)))
    return out


def click(qtbot, bar: Sidebar, index) -> None:
    rect = bar.meeting_list.visualRect(index)
    assert rect.isValid() and not rect.isEmpty()
    qtbot.mouseClick(bar.meeting_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_folders_are_headings_and_a_closed_folder_reads_nothing(qtbot, app, sidebar, filed):
    asked: list = []
    sidebar.show_pages(counting(app, asked))
    assert headings(sidebar) == [
        ("Clients/Acme", False, PAGE + 50),
        ("Team", False, 2),
        (NO_FOLDER, True, None),
    ]
    assert asked == [(None, 0, PAGE)]  # only the open group was read
    assert sidebar.visible_ids() == filed[""][::-1]

    # A click opens a folder: its first page, then "Show more" reads the next.
    click(qtbot, sidebar, sidebar.folder_index("Clients/Acme"))
    assert asked[-1] == ("Clients/Acme", 0, PAGE)
    acme = filed["Clients/Acme"][::-1]
    assert sidebar.visible_ids()[:PAGE] == acme[:PAGE]
    more = sidebar.model.index(sidebar.model.row_of(acme[PAGE - 1]) + 1)
    assert more.data(ROW_KIND) == MORE and more.data() == "Show more (50 not shown)…"
    sidebar.meeting_list.scrollTo(more)
    click(qtbot, sidebar, more)
    assert asked[-1] == ("Clients/Acme", PAGE, PAGE)
    assert sidebar.visible_ids() == acme + filed[""][::-1]
    assert MORE not in [
        sidebar.model.index(r).data(ROW_KIND) for r in range(sidebar.model.rowCount())
    ]

    # Closed again, its meetings leave the list; the folder's state is kept on a refresh.
    sidebar.meeting_list.scrollToTop()
    click(qtbot, sidebar, sidebar.folder_index("Clients/Acme"))
    assert sidebar.visible_ids() == filed[""][::-1]
    asked.clear()
    sidebar.show_pages(counting(app, asked))
    assert asked == [(None, 0, PAGE)]


def test_selecting_a_meeting_in_a_closed_folder_opens_it(qtbot, app, sidebar, filed):
    sidebar.show_pages(meeting_source(app))
    oldest = filed["Clients/Acme"][0]  # on the second page of its folder
    with qtbot.waitSignal(sidebar.meeting_selected) as selected:
        sidebar.select(oldest)
    assert selected.args == [oldest] and sidebar.current_id() == oldest
    assert headings(sidebar)[0] == ("Clients/Acme", True, PAGE + 50)
    assert headings(sidebar)[1] == ("Team", False, 2)


def test_with_no_folders_the_list_has_no_folder_headings(qtbot, app, sidebar):
    ids = [make(app, f"M {n}", n) for n in range(3)]
    sidebar.show_pages(meeting_source(app))
    assert headings(sidebar) == []
    assert sidebar.visible_ids() == ids[::-1]
    assert sidebar.model.index(0).data() == sidebar.day_labels()[0]


# --- the window: moving meetings --------------------------------------------------------------


@pytest.fixture
def window(qtbot, app):
    qt_app()
    app.settings.detect.enabled = False
    win = MainWindow(app, tray=False)
    qtbot.addWidget(win)
    win.show()
    return win


def drop(bar: Sidebar, meeting_id: int, target) -> bool:
    """Drop the list's own drag data for a meeting on ``target`` (an index), as a drag from
    the list does: enter, move over it, drop. Returns whether the drop was taken."""
    view = bar.meeting_list
    data = bar.model.mimeData([bar.index_of(meeting_id)])
    at = view.visualRect(target).center()
    move, buttons, none = Qt.DropAction.MoveAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier
    enter = QDragEnterEvent(at, move, data, buttons, none.NoModifier)
    QApplication.sendEvent(view.viewport(), enter)
    over = QDragMoveEvent(at, move, data, buttons, none.NoModifier)
    QApplication.sendEvent(view.viewport(), over)
    if not over.isAccepted():
        return False
    dropped = QDropEvent(QPointF(at), move, data, buttons, none.NoModifier)
    QApplication.sendEvent(view.viewport(), dropped)
    return dropped.isAccepted()


def test_dragging_a_meeting_onto_a_folder_moves_it_there(qtbot, app, window):
    loose = make(app, "Pricing call", 1)
    filed_one = make(app, "Acme kickoff", 0, "Clients")
    window.refresh_meetings()
    bar = window.sidebar
    window.open_meeting(loose)
    assert bar.current_id() == loose

    with qtbot.waitSignal(window.folders.moved, timeout=10_000) as moved:
        assert drop(bar, loose, bar.folder_index("Clients"))
    assert moved.args[0].id == loose and moved.args[0].folder == "Clients"
    assert app.repo.get_meeting(loose).folder == "Clients"
    # The meeting on screen stays selected: its folder opened to show it.
    assert bar.current_id() == loose
    assert bar.model.folder_at(bar.model.row_of(loose)) == "Clients"
    assert set(bar.visible_ids()) == {loose, filed_one}

    # Onto a meeting in the folder it is in already: nothing to do, the drop is refused.
    assert not drop(bar, loose, bar.index_of(filed_one))

    # Onto "No folder": out of any folder again (the "No folder" heading stays a target).
    with qtbot.waitSignal(window.folders.moved, timeout=10_000):
        assert drop(bar, loose, bar.folder_index(None))
    assert app.repo.get_meeting(loose).folder is None
    assert [h[0] for h in headings(bar)] == ["Clients", NO_FOLDER]
    assert not window.error_boxes


def test_move_to_folder_in_the_menu_takes_a_new_folder_name(qtbot, app, window):
    first, second = make(app, "Standup", 0), make(app, "Budget review", 1)
    window.refresh_meetings()
    bar = window.sidebar
    assert headings(bar) == []  # no folders yet: the plain list

    menu = bar.context_menu(second)
    action = next(a for a in menu.actions() if a.text() == "Move to folder…")
    action.trigger()
    dialog = bar.move_dialog
    assert dialog is not None and dialog.isVisible()
    assert "Budget review" in dialog.labelText()
    dialog.setTextValue("  Finance / Q3 ")
    with qtbot.waitSignal(window.folders.moved, timeout=10_000):
        dialog.accept()
    assert app.repo.get_meeting(second).folder == "Finance/Q3"
    assert headings(bar) == [("Finance/Q3", False, 1), (NO_FOLDER, True, None)]
    assert bar.visible_ids() == [first]

    # A name that cannot be a folder: one clear sentence, nothing moved.
    bar.context_menu(first).actions()[0].trigger()
    bar.move_dialog.setTextValue("Clients/../x")
    bar.move_dialog.accept()
    qtbot.waitUntil(lambda: bool(window.error_boxes), timeout=10_000)
    assert "cannot be a folder name" in window.error_boxes[0].text()
    assert app.repo.get_meeting(first).folder is None


def test_the_window_opens_the_latest_meeting_even_in_a_closed_folder(qtbot, app):
    make(app, "Old", 0)
    latest = make(app, "Latest", 5, "Clients")
    qt_app()
    app.settings.detect.enabled = False
    win = MainWindow(app, tray=False)
    qtbot.addWidget(win)
    assert win.current_id() == latest and win.sidebar.current_id() == latest


def test_the_keyboard_reaches_a_folder_heading_and_enter_opens_it(qtbot, app, sidebar):
    filed_one, loose = make(app, "Retro", 0, "Team"), make(app, "Standup", 1)
    sidebar.show_pages(meeting_source(app))
    sidebar.select(loose)
    sidebar.meeting_list.setFocus()
    for _ in range(4):  # past the day heading and "No folder", up to "Team"
        qtbot.keyClick(sidebar.meeting_list, Qt.Key.Key_Up)
    assert sidebar.meeting_list.currentIndex() == sidebar.folder_index("Team")
    qtbot.keyClick(sidebar.meeting_list, Qt.Key.Key_Return)
    assert sidebar.folder_index("Team").data(EXPANDED)
    assert sidebar.visible_ids() == [filed_one, loose]
