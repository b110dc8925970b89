"""The sidebar: "New meeting", a search field, and meetings grouped by day.

The list is a model read a page at a time (``MeetingListModel``): the window starts with the
newest meetings read and shown, however many there are, and older ones are read as the list is
scrolled down (Qt's fetchMore) or when one of them is selected.

Typing in the search field swaps the meeting list for full-text search hits (the window runs
the query off the GUI thread and hands the answer to ``show_results``); clearing it swaps back.
From the field, Down and Up move through the hits, Enter opens one, Esc clears the search (and,
in an empty field, goes back to the meeting). With no meetings the list says so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from notes_app.clock import clock, day_label, local_time
from notes_app.domain import Meeting, MeetingHeader
from notes_app.gui import theme
from notes_app.gui.search_results import SearchResults

MEETING_ID = Qt.ItemDataRole.UserRole
KEY_PRESS = QEvent.Type.KeyPress
PAGE = 100  # meetings read at a time: more than a tall window shows

# A page of meetings, newest first: (offset, limit) -> headers (Repo.meeting_headers).
Pages = Callable[[int, int], list[MeetingHeader]]


def meeting_line(m: Meeting | MeetingHeader) -> str:
    when = local_time(m.started_at)
    parts = [when.strftime("%H:%M") if when else ""]
    if m.status == "recording":
        parts.append("● recording")
    elif m.duration:
        parts.append(clock(m.duration))
    return "  ·  ".join(p for p in parts if p)


class MeetingListModel(QAbstractListModel):
    """Meetings newest first under a heading row per day, read ``PAGE`` at a time.

    A row is a day heading (``MEETING_ID`` None, not selectable) or a meeting ("title\nmeta"
    as its text). ``fetchMore`` reads the next page; the view asks for it when scrolled to the
    end, ``find`` when a meeting further down is wanted.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._pages: Pages = lambda _offset, _limit: []
        self._rows: list[MeetingHeader | str] = []  # a meeting, or a day heading's label
        self._row_of: dict[int, int] = {}  # meeting id -> row
        self._read = 0  # meetings read so far
        self._more = False
        self._last_day: object = None
        self._today = datetime.now().astimezone().date()
        self.header_font = QFont()
        self.header_brush: Any = None

    def reset_pages(self, pages: Pages) -> None:
        """Forget what was read and read the first page from ``pages``."""
        self.beginResetModel()
        self._pages, self._rows, self._row_of = pages, [], {}
        self._read, self._more, self._last_day = 0, True, None
        self._today = datetime.now().astimezone().date()
        self._append(self._pages(0, PAGE))
        self.endResetModel()

    @property
    def meeting_count(self) -> int:
        return self._read

    def ids(self) -> list[int]:
        return list(self._row_of)

    def day_labels(self) -> list[str]:
        return [row for row in self._rows if isinstance(row, str)]

    def row_of(self, meeting_id: int) -> int | None:
        return self._row_of.get(meeting_id)

    def find(self, meeting_id: int) -> int | None:
        """The row of a meeting, reading pages until it is found or none are left."""
        while meeting_id not in self._row_of and self._more:
            self.fetchMore(QModelIndex())
        return self._row_of.get(meeting_id)

    # --- QAbstractListModel ----------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008, N802 - Qt override
        return 0 if parent.isValid() else len(self._rows)

    def canFetchMore(self, parent=QModelIndex()) -> bool:  # noqa: B008, N802 - Qt override
        return not parent.isValid() and self._more

    def fetchMore(self, parent=QModelIndex()) -> None:  # noqa: B008, N802 - Qt override
        if parent.isValid() or not self._more:
            return
        page = self._pages(self._read, PAGE)
        added = self._rows_for(page)
        if added:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(added) - 1)
            self._take(page, added)
            self.endInsertRows()
        else:
            self._take(page, added)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if isinstance(self._rows[index.row()], str):
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        if isinstance(row, str):  # a day heading
            if role == Qt.ItemDataRole.DisplayRole:
                return row.upper()
            if role == Qt.ItemDataRole.FontRole:
                return self.header_font
            if role == Qt.ItemDataRole.ForegroundRole:
                return self.header_brush
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{row.title}\n{meeting_line(row)}"
        if role == MEETING_ID:
            return row.id
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.title
        return None

    # --- reading pages ---------------------------------------------------------------------------

    def _append(self, page: list[MeetingHeader]) -> None:
        self._take(page, self._rows_for(page))

    def _rows_for(self, page: list[MeetingHeader]) -> list[MeetingHeader | str]:
        """The rows of a page: each meeting, after a heading when its day is a new one."""
        out: list[MeetingHeader | str] = []
        last = self._last_day
        for m in page:
            when = local_time(m.started_at)
            day = when.date() if when else None
            if day != last or not (self._rows or out):
                out.append(day_label(day, self._today) if isinstance(day, date) else "Undated")
                last = day
            out.append(m)
        return out

    def _take(self, page: list[MeetingHeader], rows: list[MeetingHeader | str]) -> None:
        first = len(self._rows)
        self._rows.extend(rows)
        for offset, row in enumerate(rows):
            if isinstance(row, MeetingHeader):
                self._row_of[row.id] = first + offset
                when = local_time(row.started_at)
                self._last_day = when.date() if when else None
        self._read += len(page)
        self._more = len(page) == PAGE


class Sidebar(QWidget):
    meeting_selected = Signal(int)  # the current meeting changed (a click, the arrow keys)
    meeting_chosen = Signal(int)  # a meeting was clicked or Enter pressed on it
    new_meeting_requested = Signal()
    search_changed = Signal(str)  # the query; "" when the field was cleared
    result_clicked = Signal(object)  # a SearchResult
    settings_requested = Signal()
    ask_requested = Signal()
    overview_requested = Signal()
    delete_requested = Signal(int)  # the meeting id
    search_left = Signal()  # Esc in an empty search field

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("Sidebar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setMinimumWidth(240)
        self.setMaximumWidth(380)
        self.new_button = QPushButton("+  New meeting")
        self.new_button.setObjectName("Primary")
        self.new_button.setToolTip("Start a new meeting (Ctrl+N)")
        self.new_button.clicked.connect(self.new_meeting_requested)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search everything  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._on_search)
        self.search.installEventFilter(self)
        self.model = MeetingListModel(self)
        self.meeting_list = QListView()
        self.meeting_list.setModel(self.model)
        self.meeting_list.setUniformItemSizes(False)
        self.meeting_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.meeting_list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.meeting_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.meeting_list.setItemDelegate(MeetingItemDelegate(self.meeting_list))
        self.meeting_list.setMouseTracking(True)
        self.meeting_list.selectionModel().currentChanged.connect(self._on_current)
        self.meeting_list.clicked.connect(self._on_chosen)
        self.meeting_list.activated.connect(self._on_chosen)
        self.meeting_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.meeting_list.customContextMenuRequested.connect(self._context_menu_at)
        # Delete while the list has focus (in the notes, Delete deletes text).
        QShortcut(
            QKeySequence(Qt.Key.Key_Delete),
            self.meeting_list,
            self._delete_current,
            context=Qt.ShortcutContext.WidgetShortcut,
        )
        # Why a meeting cannot be deleted now ("" when it can); the window sets this.
        self.delete_blocker: Callable[[int], str] = lambda _meeting_id: ""
        self.empty_hint = QLabel("No meetings yet")
        self.empty_hint.setObjectName("Muted")
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.empty_hint.setContentsMargins(0, 24, 0, 0)
        self.results = SearchResults()
        self.results.result_clicked.connect(self.result_clicked)
        self.search.returnPressed.connect(self.results.open_current)
        self.lists = QStackedWidget()
        self.lists.addWidget(self.meeting_list)
        self.lists.addWidget(self.results)
        self.lists.addWidget(self.empty_hint)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 14, 12, 12)
        layout.setSpacing(10)
        layout.addWidget(self.new_button)
        layout.addWidget(self.search)
        layout.addWidget(self.lists, 1)
        self.ask_button = QPushButton("✦  Ask your meetings")
        self.ask_button.setObjectName("Flat")
        self.ask_button.setToolTip("Ask a question of one meeting or all of them")
        self.ask_button.clicked.connect(self.ask_requested)
        layout.addWidget(self.ask_button)
        self.overview_button = QPushButton("▤  Overview")
        self.overview_button.setObjectName("Flat")
        self.overview_button.setToolTip("Time in meetings, who talks, who and what comes up")
        self.overview_button.clicked.connect(self.overview_requested)
        layout.addWidget(self.overview_button)
        self.settings_button = QPushButton("Settings")
        self.settings_button.setObjectName("Flat")
        self.settings_button.setToolTip("Devices, transcription, language model (Ctrl+,)")
        self.settings_button.clicked.connect(self.settings_requested)
        layout.addWidget(self.settings_button)

    # --- content ------------------------------------------------------------------------------

    def show_pages(self, pages: Pages, *, select: int | None = None) -> None:
        """List the meetings ``pages`` reads (newest first, a page at a time); keep the current
        one selected, or select ``select``."""
        keep = select if select is not None else self.current_id()
        self.model.header_font = self._header_font()
        self.model.header_brush = self.palette().placeholderText()
        blocker = self.meeting_list.selectionModel().blockSignals(True)
        try:
            self.model.reset_pages(pages)
        finally:
            self.meeting_list.selectionModel().blockSignals(blocker)
        if not self.searching:
            self.lists.setCurrentWidget(
                self.meeting_list if self._has_meetings else self.empty_hint
            )
        if keep is not None:
            self.select(keep)

    def show_results(self, query: str, results: list) -> None:
        """A search's hits, if ``query`` is still what the field says (else they are stale)."""
        if query == self.search.text().strip():
            self.results.show_results(query, results)

    @property
    def searching(self) -> bool:
        return self.lists.currentWidget() is self.results

    @property
    def _has_meetings(self) -> bool:
        return self.model.meeting_count > 0

    def current_id(self) -> int | None:
        return self.meeting_list.currentIndex().data(MEETING_ID)

    def focus_list(self) -> None:
        """The keyboard in the list: the hits while searching, else the meetings."""
        (self.results.list if self.searching else self.meeting_list).setFocus()

    def select(self, meeting_id: int) -> None:
        """Make a meeting current (reading older pages if it is further down)."""
        row = self.model.find(meeting_id)
        if row is not None:
            index = self.model.index(row)
            self.meeting_list.setCurrentIndex(index)
            self.meeting_list.scrollTo(index)

    def index_of(self, meeting_id: int) -> QModelIndex:
        """The list's index of a meeting already read (invalid when it is not)."""
        row = self.model.row_of(meeting_id)
        return self.model.index(row) if row is not None else QModelIndex()

    def clear_selection(self) -> None:
        """No meeting is current (a page that is not a meeting shows); clicking one opens it."""
        selection = self.meeting_list.selectionModel()
        selection.setCurrentIndex(QModelIndex(), QItemSelectionModel.SelectionFlag.Clear)
        self.meeting_list.clearSelection()

    def visible_ids(self) -> list[int]:
        """The meetings in the list as read so far, newest first."""
        return self.model.ids()

    def day_labels(self) -> list[str]:
        """The day headings read so far, as shown (upper case)."""
        return [label.upper() for label in self.model.day_labels()]

    def result_ids(self) -> list[int]:
        """The meetings of the search hits shown, in order, each once."""
        return list(dict.fromkeys(r.meeting_id for r in self.results.results))

    def _header_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 0.85)
        font.setWeight(QFont.Weight.DemiBold)
        return font

    # --- events -------------------------------------------------------------------------------

    def _on_current(self, index: QModelIndex, _previous: QModelIndex) -> None:
        if index.isValid() and index.data(MEETING_ID) is not None:
            self.meeting_selected.emit(index.data(MEETING_ID))

    def _delete_current(self) -> None:
        if self.current_id() is not None:
            self.delete_requested.emit(self.current_id())

    def _on_chosen(self, index: QModelIndex | QPersistentModelIndex) -> None:
        if index.data(MEETING_ID) is not None:
            self.meeting_chosen.emit(index.data(MEETING_ID))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """The search field's keys: Down/Up through the hits, Esc clears, then leaves."""
        field = self.search
        if watched is field and isinstance(event, QKeyEvent) and event.type() == KEY_PRESS:
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.searching:
                self.results.step(1 if key == Qt.Key.Key_Down else -1)
                return True
            if key == Qt.Key.Key_Down and self._has_meetings:
                self.meeting_list.setFocus()
                return True
            if key == Qt.Key.Key_Escape:
                if self.search.text():
                    self.search.clear()
                else:
                    self.search_left.emit()
                return True
        return super().eventFilter(watched, event)

    def context_menu(self, meeting_id: int) -> QMenu:
        """The right-click menu of one meeting in the list."""
        from notes_app.gui.deleting import DELETE_TIP

        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        delete = menu.addAction("Delete meeting…")
        reason = self.delete_blocker(meeting_id)
        delete.setEnabled(not reason)
        delete.setToolTip(reason or DELETE_TIP)
        delete.triggered.connect(lambda: self.delete_requested.emit(meeting_id))
        return menu

    def _context_menu_at(self, pos) -> None:
        meeting_id = self.meeting_list.indexAt(pos).data(MEETING_ID)
        if meeting_id is None:  # a day header or empty space
            return
        menu = self.context_menu(meeting_id)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one menu per right-click
        menu.popup(self.meeting_list.viewport().mapToGlobal(pos))

    def _on_search(self, text: str) -> None:
        query = text.strip()
        if query:
            self.results.show_searching()
            self.lists.setCurrentWidget(self.results)
        else:
            self.lists.setCurrentWidget(
                self.meeting_list if self._has_meetings else self.empty_hint
            )
        self.search_changed.emit(query)


class MeetingItemDelegate(QStyledItemDelegate):
    """A meeting as two lines: the title, then its time and length in a quieter colour."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        meeting_id = index.data(MEETING_ID)
        if meeting_id is None:  # a day header
            super().paint(painter, option, index)
            return
        title, _, meta = (index.data(Qt.ItemDataRole.DisplayRole) or "").partition("\n")
        c = theme.colors()
        painter.save()
        rect = option.rect.adjusted(2, 1, -2, -1)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected or hovered:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(c.accent_soft if selected else c.border))
            painter.drawRoundedRect(rect, 7, 7)
        text_rect = rect.adjusted(10, 6, -8, -6)
        title_font = QFont(option.font)
        title_font.setWeight(QFont.Weight.DemiBold if selected else QFont.Weight.Medium)
        painter.setFont(title_font)
        painter.setPen(QColor(c.text))
        fm = painter.fontMetrics()
        painter.drawText(
            text_rect,
            Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft,
            fm.elidedText(title, Qt.TextElideMode.ElideRight, text_rect.width()),
        )
        meta_font = QFont(option.font)
        meta_font.setPointSizeF(option.font.pointSizeF() * 0.88)
        painter.setFont(meta_font)
        painter.setPen(QColor(c.record if "recording" in meta else c.muted))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft, meta)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:  # noqa: N802 - Qt override
        if index.data(MEETING_ID) is None:
            return QSize(option.rect.width(), 30)
        return QSize(option.rect.width(), QFontMetrics(option.font).height() * 2 + 18)
