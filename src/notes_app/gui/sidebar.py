"""The sidebar: "New meeting", a search field, what is coming up, and meetings by folder and day.

The list is a model read a page at a time (``MeetingListModel``, gui/folders_model.py): the
window starts with the newest meetings read and shown, however many there are, and older ones
are read as the list is scrolled down (Qt's fetchMore) or when one of them is selected. Once
meetings are in folders, each folder is a heading that opens and closes (a click, or Enter), and
the meetings in no folder come under "No folder". A meeting dragged onto a folder, or moved with
"Move to folder…" in its right-click menu (where a new folder's name may be typed), is asked
for with ``move_requested``; the window moves it. "Coming up" (gui/upcoming.py) lists the next
events of the user's calendars.

Typing in the search field swaps the meeting list for full-text search hits (the window runs
the query off the GUI thread and hands the answer to ``show_results``); clearing it swaps back.
From the field, Down and Up move through the hits, Enter opens one, Esc clears the search (and,
in an empty field, goes back to the meeting). With no meetings the list says so.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
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
    QInputDialog,
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

from notes_app.gui import theme
from notes_app.gui.folders_model import (
    COUNT,
    EXPANDED,
    FOLDER,
    MEETING_ID,
    MORE,
    NO_FOLDER,
    PAGE,
    ROW_KIND,
    MeetingListModel,
    MeetingSource,
    Pages,
    meeting_line,
)
from notes_app.gui.search_results import SearchResults
from notes_app.gui.upcoming import UpcomingList

__all__ = ["MEETING_ID", "PAGE", "MeetingListModel", "MeetingSource", "Sidebar", "meeting_line"]

KEY_PRESS = QEvent.Type.KeyPress


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
    move_requested = Signal(int, object)  # meeting id, folder ("Clients/Acme"; None: no folder)

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
        self.model.move_requested.connect(self.move_requested)
        self.meeting_list = QListView()
        self.meeting_list.setModel(self.model)
        self.meeting_list.setUniformItemSizes(False)
        self.meeting_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.meeting_list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.meeting_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.meeting_list.setItemDelegate(MeetingItemDelegate(self.meeting_list))
        self.meeting_list.setMouseTracking(True)
        # A meeting is dragged onto a folder (its heading, or anything in it) to move it there;
        # "overwrite" mode: a drop lands on the row under the pointer, never between two rows.
        self.meeting_list.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.meeting_list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.meeting_list.setDragDropOverwriteMode(True)
        self.meeting_list.setDropIndicatorShown(True)
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
        self.move_dialog: QInputDialog | None = None
        self.empty_hint = QLabel("No meetings yet")
        self.empty_hint.setObjectName("Muted")
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.empty_hint.setContentsMargins(0, 24, 0, 0)
        self.results = SearchResults()
        self.results.result_clicked.connect(self.result_clicked)
        self.search.returnPressed.connect(self.results.open_current)
        self.upcoming = UpcomingList()
        self.lists = QStackedWidget()
        self.lists.addWidget(self.meeting_list)
        self.lists.addWidget(self.results)
        self.lists.addWidget(self.empty_hint)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 14, 12, 12)
        layout.setSpacing(10)
        layout.addWidget(self.new_button)
        layout.addWidget(self.search)
        layout.addWidget(self.upcoming)
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

    def show_pages(self, pages: MeetingSource | Pages, *, select: int | None = None) -> None:
        """List the meetings ``pages`` reads (by folder when it has them, newest first, a page
        at a time); keep the current one selected, or select ``select``."""
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
        return self.model.has_rows  # a closed folder's heading counts: its meetings are there

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

    def folder_names(self) -> list[str]:
        """The folders listed (those holding meetings), by name."""
        return self.model.folder_names()

    def folder_index(self, folder: str | None) -> QModelIndex:
        """The heading of a folder (None: "No folder"); invalid when it is not listed."""
        row = self.model.folder_rows().get(folder)
        return self.model.index(row) if row is not None else QModelIndex()

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
        kind = index.data(ROW_KIND)
        if kind == FOLDER:
            self.model.toggle(index.row())
        elif kind == MORE:
            self.model.fetch_at(index.row())
        elif index.data(MEETING_ID) is not None:
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
        move = menu.addAction("Move to folder…")
        move.setToolTip("Put the meeting in a folder, or a new one")
        move.triggered.connect(lambda: self.ask_folder(meeting_id))
        menu.insertAction(delete, move)  # the harmless action first
        return menu

    def ask_folder(self, meeting_id: int) -> QInputDialog:
        """Ask which folder to move a meeting to: one listed, or a new one typed."""
        if self.move_dialog is not None:
            self.move_dialog.close()
        row = self.model.row_of(meeting_id)
        title = self.model.index(row).data().partition("\n")[0] if row is not None else ""
        current = self.model.folder_at(row) if row is not None else None
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Move to folder")
        dialog.setLabelText(
            f"Move “{title}” to the folder:\n(type a new name for a new folder; "
            "Clients/Acme puts Acme inside Clients)"
            if title
            else "Move the meeting to the folder:"
        )
        dialog.setComboBoxEditable(True)
        dialog.setComboBoxItems([NO_FOLDER, *self.folder_names()])
        dialog.setTextValue(current or "")
        dialog.setOkButtonText("Move")
        dialog.textValueSelected.connect(
            lambda text: self._folder_chosen(meeting_id, current, text)
        )
        dialog.finished.connect(lambda _r, d=dialog: self._move_dialog_closed(d))
        self.move_dialog = dialog
        dialog.open()
        return dialog

    def _folder_chosen(self, meeting_id: int, current: str | None, text: str) -> None:
        text = text.strip()
        folder = None if text in ("", "/", NO_FOLDER) else text
        if folder != current:
            self.move_requested.emit(meeting_id, folder)

    def _move_dialog_closed(self, dialog: QInputDialog) -> None:
        if self.move_dialog is dialog:
            self.move_dialog = None
        dialog.deleteLater()

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
    """A meeting as two lines: the title, then its time and length in a quieter colour; a
    folder as a heading with an arrow (open or closed) and how many meetings it holds."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        kind = index.data(ROW_KIND)
        if kind == FOLDER:
            self._paint_folder(painter, option, index)
            return
        if kind == MORE:
            self._paint_more(painter, option, index)
            return
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

    def _paint_folder(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        c = theme.colors()
        painter.save()
        rect = option.rect.adjusted(2, 1, -2, -1)
        if option.state & QStyle.StateFlag.State_MouseOver:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(c.border))
            painter.drawRoundedRect(rect, 7, 7)
        text_rect = rect.adjusted(6, 0, -8, 0)
        font = QFont(option.font)
        font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        fm = painter.fontMetrics()
        count = index.data(COUNT)
        count_text = str(count) if count is not None else ""
        count_width = fm.horizontalAdvance(count_text) + 8 if count_text else 0
        arrow = "▾" if index.data(EXPANDED) else "▸"
        painter.setPen(QColor(c.muted))
        middle = Qt.AlignmentFlag.AlignVCenter
        painter.drawText(text_rect, middle | Qt.AlignmentFlag.AlignLeft, arrow)
        name_rect = text_rect.adjusted(fm.horizontalAdvance("▾ ") + 2, 0, -count_width, 0)
        if count_text:
            painter.drawText(text_rect, middle | Qt.AlignmentFlag.AlignRight, count_text)
        painter.setPen(QColor(c.text))
        name = index.data(Qt.ItemDataRole.DisplayRole) or ""
        painter.drawText(
            name_rect,
            middle | Qt.AlignmentFlag.AlignLeft,
            fm.elidedText(name, Qt.TextElideMode.ElideRight, name_rect.width()),
        )
        painter.restore()

    def _paint_more(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        c = theme.colors()
        painter.save()
        painter.setPen(QColor(c.accent))
        painter.setFont(option.font)
        painter.drawText(
            option.rect.adjusted(12, 0, -8, 0),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            index.data(Qt.ItemDataRole.DisplayRole) or "",
        )
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:  # noqa: N802 - Qt override
        if index.data(ROW_KIND) == FOLDER:
            return QSize(option.rect.width(), QFontMetrics(option.font).height() + 14)
        if index.data(MEETING_ID) is None:
            return QSize(option.rect.width(), 30)
        return QSize(option.rect.width(), QFontMetrics(option.font).height() * 2 + 18)
