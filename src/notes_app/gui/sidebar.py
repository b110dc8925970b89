"""The sidebar: "New meeting", a search field, and meetings grouped by day.

Typing in the search field swaps the meeting list for full-text search hits (the window runs
the query off the GUI thread and hands the answer to ``show_results``); clearing it swaps back.
From the field, Down and Up move through the hits, Enter opens one, Esc clears the search (and,
in an empty field, goes back to the meeting). With no meetings the list says so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from PySide6.QtCore import QEvent, QModelIndex, QObject, QSize, Qt, Signal
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
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from notes_app.clock import clock, day_label, local_time
from notes_app.domain import Meeting
from notes_app.gui import theme
from notes_app.gui.search_results import SearchResults

MEETING_ID = Qt.ItemDataRole.UserRole
KEY_PRESS = QEvent.Type.KeyPress


def meeting_line(m: Meeting) -> str:
    when = local_time(m.started_at)
    parts = [when.strftime("%H:%M") if when else ""]
    if m.status == "recording":
        parts.append("● recording")
    elif m.duration:
        parts.append(clock(m.duration))
    return "  ·  ".join(p for p in parts if p)


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
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(0)
        self.tree.setUniformRowHeights(False)
        self.tree.setItemDelegate(MeetingItemDelegate(self.tree))
        self.tree.setMouseTracking(True)
        self.tree.currentItemChanged.connect(self._on_current)
        self.tree.itemClicked.connect(self._on_chosen)
        self.tree.itemActivated.connect(self._on_chosen)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu_at)
        # Delete while the list has focus (in the notes, Delete deletes text).
        QShortcut(
            QKeySequence(Qt.Key.Key_Delete),
            self.tree,
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
        self.lists.addWidget(self.tree)
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
        self._meetings: list[Meeting] = []

    # --- content ------------------------------------------------------------------------------

    def set_meetings(self, meetings: list[Meeting], *, select: int | None = None) -> None:
        self._meetings = list(meetings)
        self._rebuild(select if select is not None else self.current_id())

    def show_results(self, query: str, results: list) -> None:
        """A search's hits, if ``query`` is still what the field says (else they are stale)."""
        if query == self.search.text().strip():
            self.results.show_results(query, results)

    @property
    def searching(self) -> bool:
        return self.lists.currentWidget() is self.results

    def current_id(self) -> int | None:
        item = self.tree.currentItem()
        return item.data(0, MEETING_ID) if item else None

    def focus_list(self) -> None:
        """The keyboard in the list: the hits while searching, else the meetings."""
        (self.results.list if self.searching else self.tree).setFocus()

    def select(self, meeting_id: int) -> None:
        for item in self._items():
            if item.data(0, MEETING_ID) == meeting_id:
                self.tree.setCurrentItem(item)
                return

    def clear_selection(self) -> None:
        """No meeting is current (a page that is not a meeting shows); clicking one opens it."""
        self.tree.setCurrentIndex(QModelIndex())
        self.tree.clearSelection()

    def visible_ids(self) -> list[int]:
        return [i.data(0, MEETING_ID) for i in self._items() if not i.isHidden()]

    def result_ids(self) -> list[int]:
        """The meetings of the search hits shown, in order, each once."""
        return list(dict.fromkeys(r.meeting_id for r in self.results.results))

    def _items(self):
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            for k in range(group.childCount()):
                yield group.child(k)

    def _rebuild(self, select: int | None) -> None:
        self.tree.blockSignals(True)
        self.tree.clear()
        today = datetime.now().astimezone().date()
        groups: dict[date | None, QTreeWidgetItem] = {}
        header_font = QFont(self.font())
        header_font.setPointSizeF(header_font.pointSizeF() * 0.85)
        header_font.setWeight(QFont.Weight.DemiBold)
        for m in self._meetings:
            when = local_time(m.started_at)
            day = when.date() if when else None
            if day not in groups:
                label = day_label(day, today) if day else "Undated"
                head = QTreeWidgetItem([label.upper()])
                head.setFlags(Qt.ItemFlag.ItemIsEnabled)
                head.setFont(0, header_font)
                head.setForeground(0, self.palette().placeholderText())
                self.tree.addTopLevelItem(head)
                groups[day] = head
            item = QTreeWidgetItem([f"{m.title}\n{meeting_line(m)}"])
            item.setData(0, MEETING_ID, m.id)
            item.setToolTip(0, m.title)
            groups[day].addChild(item)
        self.tree.expandAll()
        self.tree.blockSignals(False)
        if not self.searching:
            self.lists.setCurrentWidget(self.tree if self._meetings else self.empty_hint)
        if select is not None:
            self.select(select)

    # --- events -------------------------------------------------------------------------------

    def _on_current(self, item: QTreeWidgetItem | None, _previous) -> None:
        if item is not None and item.data(0, MEETING_ID) is not None:
            self.meeting_selected.emit(item.data(0, MEETING_ID))

    def _delete_current(self) -> None:
        if self.current_id() is not None:
            self.delete_requested.emit(self.current_id())

    def _on_chosen(self, item: QTreeWidgetItem) -> None:
        if item.data(0, MEETING_ID) is not None:
            self.meeting_chosen.emit(item.data(0, MEETING_ID))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """The search field's keys: Down/Up through the hits, Esc clears, then leaves."""
        field = self.search
        if watched is field and isinstance(event, QKeyEvent) and event.type() == KEY_PRESS:
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.searching:
                self.results.step(1 if key == Qt.Key.Key_Down else -1)
                return True
            if key == Qt.Key.Key_Down and self._meetings:
                self.tree.setFocus()
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
        item = self.tree.itemAt(pos)
        meeting_id = item.data(0, MEETING_ID) if item is not None else None
        if meeting_id is None:  # a day header or empty space
            return
        menu = self.context_menu(meeting_id)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one menu per right-click
        menu.popup(self.tree.viewport().mapToGlobal(pos))

    def _on_search(self, text: str) -> None:
        query = text.strip()
        if query:
            self.results.show_searching()
            self.lists.setCurrentWidget(self.results)
        else:
            self.lists.setCurrentWidget(self.tree if self._meetings else self.empty_hint)
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
