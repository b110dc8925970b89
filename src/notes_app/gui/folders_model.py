"""The meeting list's model: meetings by folder, then by day, read a page at a time.

With no folders the list is what it always was: meetings newest first under a heading per day.
Once a meeting is in a folder, each folder gets a heading (collapsed until opened, with how many
meetings it holds), and the meetings in no folder come last under "No folder" (open). Nothing
of a closed folder is read; an open folder reads a page of its meetings and offers the next
page in a "Show more" row; the last group reads on as the list is scrolled down (Qt's
fetchMore), as the whole list did before.

A meeting dragged onto a folder's heading, or onto anything inside an open folder, asks for a
move (``move_requested``); the window moves it through ``App.move_meeting`` and lists again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont

from notes_app.clock import clock, day_label, local_time
from notes_app.domain import Meeting, MeetingHeader
from notes_app.errors import NotesAppError

log = logging.getLogger(__name__)

MEETING_ID = Qt.ItemDataRole.UserRole
ROW_KIND = Qt.ItemDataRole.UserRole + 1  # FOLDER, DAY, MEETING or MORE
EXPANDED = Qt.ItemDataRole.UserRole + 2  # a folder heading: open or not
COUNT = Qt.ItemDataRole.UserRole + 3  # a folder heading: how many meetings (None: not known)
FOLDER, DAY, MEETING, MORE = "folder", "day", "meeting", "more"
PAGE = 100  # meetings read at a time: more than a tall window shows
MIME = "application/x-notes-app-meetings"  # a JSON list of meeting ids
NO_FOLDER = "No folder"

# A page of meetings, newest first: (offset, limit) -> headers (Repo.meeting_headers).
Pages = Callable[[int, int], list[MeetingHeader]]


@dataclass(frozen=True)
class MeetingSource:
    """Where the list reads: ``page(folder, offset, limit)`` a page of the meetings in exactly
    that folder (None: in no folder), ``folders()`` each folder with how many meetings it
    holds, ``folder_of(id)`` the folder a meeting is in (a NotesAppError: it is gone)."""

    page: Callable[[str | None, int, int], list[MeetingHeader]]
    folders: Callable[[], list[tuple[str, int]]] = lambda: []
    folder_of: Callable[[int], str | None] = lambda _meeting_id: None

    @classmethod
    def unfiled(cls, pages: Pages) -> MeetingSource:
        """Every meeting from ``pages``, in one list without folders."""
        return cls(page=lambda _folder, offset, limit: pages(offset, limit))


@dataclass(eq=False)
class Group:
    """A folder's meetings (``folder`` None: those in no folder) and how far they are read."""

    folder: str | None
    count: int | None = None
    expanded: bool = True
    read: int = 0
    more: bool = True
    last_day: object = None

    def forget(self) -> None:
        self.read, self.more, self.last_day = 0, True, None


@dataclass(eq=False)
class Row:
    kind: str  # FOLDER, DAY, MEETING, MORE
    group: Group
    label: str = ""  # a day heading's text
    meeting: MeetingHeader | None = field(default=None)


def meeting_line(m: Meeting | MeetingHeader) -> str:
    when = local_time(m.started_at)
    parts = [when.strftime("%H:%M") if when else ""]
    if m.status == "recording":
        parts.append("● recording")
    elif m.duration:
        parts.append(clock(m.duration))
    return "  ·  ".join(p for p in parts if p)


class MeetingListModel(QAbstractListModel):
    """Folder headings, day headings and meetings as rows (see the module's docstring).

    A row's ``MEETING_ID`` is its meeting's id (None for the other rows, which cannot be
    selected); ``ROW_KIND`` says what it is. ``find`` opens a meeting's folder and reads down
    to it; ``toggle`` opens or closes a folder; ``fetch_more`` reads a group's next page.
    """

    move_requested = Signal(int, object)  # meeting id, folder (None: no folder)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._source = MeetingSource.unfiled(lambda _offset, _limit: [])
        self._groups: list[Group] = []
        self._rows: list[Row] = []
        self._row_of: dict[int, int] = {}  # meeting id -> row
        self._headings = False  # folder headings shown (there are folders)
        self._open: dict[str | None, bool] = {}  # open or closed by the user, by folder
        self._today = datetime.now().astimezone().date()
        self.header_font = QFont()
        self.header_brush: Any = None

    def reset_pages(self, source: MeetingSource | Pages) -> None:
        """Forget what was read; read the folders and the first page of each open group."""
        if not isinstance(source, MeetingSource):
            source = MeetingSource.unfiled(source)
        self.beginResetModel()
        self._source = source
        self._today = datetime.now().astimezone().date()
        folders = source.folders()
        self._headings = bool(folders)
        self._groups = [Group(name, n, self._open.get(name, False)) for name, n in folders]
        # Without folders there is no heading to open it by: the one group is always open.
        self._groups.append(Group(None, expanded=self._open.get(None, True) or not folders))
        self._rows = []
        for group in self._groups:
            if self._headings:
                self._rows.append(Row(FOLDER, group))
            if group.expanded:
                self._rows += self._read_page(group)
        self._reindex()
        self.endResetModel()

    # --- what is read ----------------------------------------------------------------------------

    @property
    def meeting_count(self) -> int:
        """Meetings read so far (in open groups)."""
        return len(self._row_of)

    @property
    def has_rows(self) -> bool:
        return bool(self._rows)

    def ids(self) -> list[int]:
        return list(self._row_of)

    def day_labels(self) -> list[str]:
        return [row.label for row in self._rows if row.kind == DAY]

    def folder_names(self) -> list[str]:
        """The folders holding meetings, as listed."""
        return [g.folder for g in self._groups if g.folder is not None]

    def folder_rows(self) -> dict[str | None, int]:
        """The row of each folder heading (None: "No folder"); empty without folders."""
        return {r.group.folder: n for n, r in enumerate(self._rows) if r.kind == FOLDER}

    def row_of(self, meeting_id: int) -> int | None:
        return self._row_of.get(meeting_id)

    def folder_at(self, row: int) -> str | None:
        """The folder of the group a row belongs to (None: no folder)."""
        return self._rows[row].group.folder

    def find(self, meeting_id: int) -> int | None:
        """The row of a meeting, its folder opened and its pages read down to it."""
        if meeting_id in self._row_of:
            return self._row_of[meeting_id]
        try:
            folder = self._source.folder_of(meeting_id)
        except NotesAppError:
            log.info("Meeting %s is not in the list any more", meeting_id, exc_info=True)
            return None
        group = next((g for g in self._groups if g.folder == folder), None)
        if group is None:  # moved to a folder the list does not show yet
            return None
        if not group.expanded:
            self.set_expanded(group, True)
        while meeting_id not in self._row_of and group.more:
            self.fetch_group(group)
        return self._row_of.get(meeting_id)

    # --- opening, closing and reading on -------------------------------------------------------

    def toggle(self, row: int) -> None:
        """Open a folder heading's group, or close it."""
        group = self._rows[row].group
        self.set_expanded(group, not group.expanded)

    def set_expanded(self, group: Group, expanded: bool) -> None:
        if group.expanded == expanded:
            return
        start, end = self._block(group)
        group.expanded = expanded
        self._open[group.folder] = expanded
        if expanded:
            rows = self._read_page(group)
            if rows:
                self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
                self._rows[start:start] = rows
                self._reindex()
                self.endInsertRows()
        else:
            if end > start:
                self.beginRemoveRows(QModelIndex(), start, end - 1)
                del self._rows[start:end]
                self._reindex()
                self.endRemoveRows()
            group.forget()  # opened again, it is read afresh
        if self._headings:
            heading = self.index(start - 1)
            self.dataChanged.emit(heading, heading)

    def fetch_group(self, group: Group) -> None:
        """Read the next page of ``group`` (its "Show more" row gives way to it)."""
        if not group.expanded or not group.more:
            return
        start, end = self._block(group)
        if end > start and self._rows[end - 1].kind == MORE:
            self.beginRemoveRows(QModelIndex(), end - 1, end - 1)
            del self._rows[end - 1]
            self._reindex()
            self.endRemoveRows()
            end -= 1
        rows = self._read_page(group)
        if rows:
            self.beginInsertRows(QModelIndex(), end, end + len(rows) - 1)
            self._rows[end:end] = rows
            self._reindex()
            self.endInsertRows()

    def fetch_at(self, row: int) -> None:
        """A click on a "Show more" row."""
        if self._rows[row].kind == MORE:
            self.fetch_group(self._rows[row].group)

    def _block(self, group: Group) -> tuple[int, int]:
        """The rows of ``group`` under its heading: [start, end)."""
        start = 0
        if self._headings:
            start = next(
                n for n, r in enumerate(self._rows) if r.kind == FOLDER and r.group is group
            )
            start += 1
        end = start
        while end < len(self._rows) and self._rows[end].group is group:
            end += 1
        return start, end

    def _read_page(self, group: Group) -> list[Row]:
        """The rows of the group's next page: each meeting, after a heading when its day is a
        new one; a "Show more" row after it when more follow and it is not the last group."""
        page = self._source.page(group.folder, group.read, PAGE)
        rows: list[Row] = []
        for m in page:
            when = local_time(m.started_at)
            day = when.date() if when else None
            if day != group.last_day or (group.read == 0 and not rows):
                label = day_label(day, self._today) if isinstance(day, date) else "Undated"
                rows.append(Row(DAY, group, label))
                group.last_day = day
            rows.append(Row(MEETING, group, meeting=m))
        group.read += len(page)
        group.more = len(page) == PAGE
        if group.more and group is not self._groups[-1]:
            rows.append(Row(MORE, group))
        return rows

    def _reindex(self) -> None:
        self._row_of = {r.meeting.id: n for n, r in enumerate(self._rows) if r.meeting is not None}

    # --- QAbstractListModel ----------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008, N802 - Qt override
        return 0 if parent.isValid() else len(self._rows)

    def canFetchMore(self, parent=QModelIndex()) -> bool:  # noqa: B008, N802 - Qt override
        last = self._groups[-1] if self._groups else None
        return not parent.isValid() and last is not None and last.expanded and last.more

    def fetchMore(self, parent=QModelIndex()) -> None:  # noqa: B008, N802 - Qt override
        if not parent.isValid() and self._groups:
            self.fetch_group(self._groups[-1])

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid() or index.row() >= len(self._rows):
            return Qt.ItemFlag.NoItemFlags
        enabled, drop = Qt.ItemFlag.ItemIsEnabled, Qt.ItemFlag.ItemIsDropEnabled
        kind = self._rows[index.row()].kind
        if kind == MEETING:
            return enabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled | drop
        return enabled if kind == MORE else enabled | drop

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == ROW_KIND:
            return row.kind
        if row.kind == MEETING and row.meeting is not None:
            return self._meeting_data(row.meeting, role)
        if row.kind == FOLDER:
            return self._folder_data(row.group, role)
        if row.kind == MORE:
            left = row.group.count - row.group.read if row.group.count is not None else None
            shown = f"Show more ({left} not shown)…" if left else "Show more…"
            return shown if role == Qt.ItemDataRole.DisplayRole else None
        if role == Qt.ItemDataRole.DisplayRole:  # a day heading
            return row.label.upper()
        if role == Qt.ItemDataRole.FontRole:
            return self.header_font
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.header_brush
        return None

    def _meeting_data(self, m: MeetingHeader, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{m.title}\n{meeting_line(m)}"
        if role == MEETING_ID:
            return m.id
        if role == Qt.ItemDataRole.ToolTipRole:
            return m.title
        return None

    def _folder_data(self, group: Group, role: int) -> Any:
        name = group.folder if group.folder is not None else NO_FOLDER
        if role == Qt.ItemDataRole.DisplayRole:
            return name
        if role == EXPANDED:
            return group.expanded
        if role == COUNT:
            return group.count
        if role == Qt.ItemDataRole.ToolTipRole:
            verb = "Close" if group.expanded else "Open"
            return f"{verb} {name}. Drag a meeting here to move it into {name.lower()}."
        if role == Qt.ItemDataRole.AccessibleTextRole:
            held = f", {group.count} meetings" if group.count is not None else ""
            return f"Folder {name}{held}, {'open' if group.expanded else 'closed'}"
        return None

    # --- drag and drop ---------------------------------------------------------------------------

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802 - Qt override
        return Qt.DropAction.MoveAction

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802 - Qt override
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:  # noqa: N802 - Qt override
        return [MIME]

    def mimeData(self, indexes) -> QMimeData:  # noqa: N802 - Qt override
        ids = [i.data(MEETING_ID) for i in indexes if i.data(MEETING_ID) is not None]
        data = QMimeData()
        data.setData(MIME, json.dumps(list(dict.fromkeys(ids))).encode())
        return data

    def canDropMimeData(self, data, action, row, column, parent) -> bool:  # noqa: N802
        return self._drop(data, row, parent) is not None

    def dropMimeData(self, data, action, row, column, parent) -> bool:  # noqa: N802
        found = self._drop(data, row, parent)
        if found is None:
            return False
        ids, folder = found
        for meeting_id in ids:
            self.move_requested.emit(meeting_id, folder)
        return True

    def _drop(self, data: QMimeData, row: int, parent) -> tuple[list[int], str | None] | None:
        """The meetings a drop moves and the folder it moves them to; None when it moves
        nothing (not meetings, no group there, or all of them in it already)."""
        if data is None or not data.hasFormat(MIME):
            return None
        at = parent.row() if parent.isValid() else row
        if not 0 <= at < len(self._rows):
            return None
        group = self._rows[at].group
        try:
            ids = [i for i in json.loads(bytes(data.data(MIME).data())) if isinstance(i, int)]
        except ValueError:
            return None
        moving = [
            i
            for i in ids
            if i not in self._row_of or self._rows[self._row_of[i]].group is not group
        ]
        return (moving, group.folder) if moving else None
