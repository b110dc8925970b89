"""The menu bar: every action of the window under File, Edit, View, Meeting and Help, each with
its shortcut, and Help → Keyboard shortcuts listing them all (with the keys that work inside
the notes, the search field and the meeting list).

Actions stay enabled so their shortcuts always reach the window, which says why when one does
not apply; while a menu is open its items show what applies to the meeting on screen now.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMenu,
    QMessageBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from notes_app.gui.meeting_view import ENHANCED, RAW
from notes_app.logs import log_dir

StandardKey = QKeySequence.StandardKey

# Keys that act inside one widget rather than through a menu (the shortcuts dialog lists them).
WIDGET_KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "In the notes",
        [
            ("Enter", "Continue a list (an empty item ends it)"),
            ("Shift+Enter", "A line break inside a list item"),
            ("Tab / Shift+Tab", "Nest or un-nest a list item"),
            ("Esc, Ctrl+Tab", "Leave the notes"),
        ],
    ),
    (
        "In the search field",
        [
            ("Down / Up", "Move through the hits"),
            ("Enter", "Open the hit"),
            ("Esc", "Clear the search; again: back to the notes"),
        ],
    ),
    ("In the meeting list", [("Delete", "Delete the selected meeting")]),
]


@dataclass(frozen=True)
class Command:
    key: str
    text: str
    shortcut: QKeySequence | None
    run: Callable[[], object]
    tip: str = ""
    checkable: bool = False


def _edit(method: str) -> Callable[[], None]:
    """An Edit command for the widget with the keyboard focus (a text field, the notes)."""

    def run() -> None:
        widget = QApplication.focusWidget()
        if widget is not None and hasattr(widget, method):
            getattr(widget, method)()

    return run


def commands(win, menus: Menus) -> dict[str, list[Command]]:
    """The window's commands, menu by menu (Help's are the menu bar's own)."""
    view = win.view
    seq = QKeySequence
    return {
        "&File": [
            Command("new", "&New meeting", seq("Ctrl+N"), win.new_meeting, "Notes ready to type"),
            Command("export", "&Export notes…", seq("Ctrl+Shift+E"), win.sharing.export),
            Command("settings", "Se&ttings…", seq("Ctrl+,"), win.open_settings),
            Command("quit", "&Quit", seq(StandardKey.Quit), win.close),
        ],
        "&Edit": [
            Command("undo", "&Undo", seq(StandardKey.Undo), _edit("undo")),
            Command("redo", "&Redo", seq(StandardKey.Redo), _edit("redo")),
            Command("cut", "Cu&t", seq(StandardKey.Cut), _edit("cut")),
            Command("copy", "&Copy", seq(StandardKey.Copy), _edit("copy")),
            Command("paste", "&Paste", seq(StandardKey.Paste), _edit("paste")),
            Command("select_all", "Select &all", seq(StandardKey.SelectAll), _edit("selectAll")),
            Command("search", "&Search everything", seq("Ctrl+F"), win.searching.focus),
        ],
        "&View": [
            Command(
                "sidebar",
                "Meeting &list",
                seq("Ctrl+\\"),
                win.columns.toggle_list,
                "Show or hide the list of meetings",
                checkable=True,
            ),
            Command(
                "transcript",
                "&Transcript",
                seq("Ctrl+T"),
                lambda: view.transcript_panel.set_expanded(not view.transcript_panel.expanded),
                checkable=True,
            ),
            Command("raw", "&My notes", seq("Ctrl+1"), lambda: view.show_page(RAW)),
            Command("enhanced", "&Enhanced notes", seq("Ctrl+2"), lambda: view.show_page(ENHANCED)),
            Command("overview", "&Overview", seq("Ctrl+Shift+O"), win.open_overview),
        ],
        "&Meeting": [
            Command("record", "Start &recording", seq("Ctrl+R"), win.toggle_recording),
            Command("enhance", "&Enhance notes", seq("Ctrl+E"), win.enhancing.shortcut),
            Command("ask", "&Ask your meetings…", seq("Ctrl+J"), win.searching.open_ask),
            Command("share", "S&hare link…", seq("Ctrl+Shift+S"), win.sharing.share),
            Command(
                "delete",
                "&Delete meeting…",
                None,  # Delete in the meeting list: in the notes, Delete deletes text
                lambda: win.request_delete(win.current_id()),
            ),
        ],
        "&Help": [
            Command("shortcuts", "&Keyboard shortcuts", seq("Ctrl+/"), menus.show_shortcuts),
            Command("log_folder", "Open &log folder", None, menus.open_log_folder),
            Command("repair", "&Repair database…", None, menus.repair_database),
        ],
    }


class Menus:
    """The window's menu bar; ``actions[key]`` is each command's QAction."""

    def __init__(self, win) -> None:
        self.win = win
        self.actions: dict[str, QAction] = {}
        self.menus: dict[str, QMenu] = {}
        self.shortcuts_dialog: ShortcutsDialog | None = None
        self.repair_box: QMessageBox | None = None
        for title, group in commands(win, self).items():
            menu = win.menuBar().addMenu(title)
            menu.setToolTipsVisible(True)
            menu.aboutToShow.connect(self.sync)
            menu.aboutToHide.connect(self.enable_all)
            self.menus[title.replace("&", "")] = menu
            for c in group:
                action = menu.addAction(c.text)
                if c.shortcut is not None:
                    action.setShortcut(c.shortcut)
                action.setToolTip(c.tip)
                action.setCheckable(c.checkable)
                action.triggered.connect(lambda _checked=False, run=c.run: run())
                self.actions[c.key] = action
            if title == "&Edit":
                menu.insertSeparator(self.actions["search"])

    def sync(self) -> None:
        """While a menu is open: what applies to the meeting on screen now."""
        win, view = self.win, self.win.view
        a = self.actions
        here = win.showing(win.current_id()) if win.current_id() is not None else False
        recorder = win.recorder
        a["record"].setText("Stop &recording" if recorder.recording else "Start &recording")
        a["record"].setEnabled(not recorder.busy)
        a["enhance"].setEnabled(here and view.enhance_button.isEnabled())
        for key in ("share", "export", "enhanced"):
            a[key].setEnabled(here and view.enhanced is not None)
        a["raw"].setEnabled(here)
        a["transcript"].setEnabled(here)
        a["transcript"].setChecked(view.transcript_panel.expanded)
        a["sidebar"].setChecked(win.columns.list_shown)
        reason = win.deleting.blocker(win.current_id()) if here else "Open a meeting first."
        a["delete"].setEnabled(not reason)
        a["delete"].setToolTip(reason)

    def enable_all(self) -> None:
        """Menus closed: every shortcut reaches its command again, which checks for itself."""
        for action in self.actions.values():
            action.setEnabled(True)

    def show_shortcuts(self) -> None:
        """Help → Keyboard shortcuts."""
        self.shortcuts_dialog = ShortcutsDialog(self.shortcut_rows(), self.win)
        self.shortcuts_dialog.open()

    def open_log_folder(self) -> bool:
        """Help → Open log folder: the app's log files (what to attach to a bug report)."""
        folder = log_dir(self.win.settings.home)
        folder.mkdir(parents=True, exist_ok=True)
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def repair_database(self) -> QMessageBox:
        """Help → Repair database: how to repair, said plainly. Repairing replaces the file this
        window has open, so it runs from the command line with the window closed; the damaged
        file is kept beside the new one."""
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Repair the database",
            "To repair the notes database, close this window (and any other notes-app window), "
            "then run:\n\n    notes-app repair\n\n"
            "A sound database gets its search index rebuilt. A damaged one is replaced by a new "
            "database holding everything that can still be read; the damaged file is kept beside "
            f"it.\n\nDatabase: {self.win.settings.db_path}",
            QMessageBox.StandardButton.Ok,
            self.win,
        )
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.open()
        self.repair_box = box
        return box

    def shortcut_rows(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """(menu, [(keys, what)]) for every command with a shortcut, then the widget keys."""
        rows = []
        for title, menu in self.menus.items():
            keyed = [
                (a.shortcut().toString(QKeySequence.SequenceFormat.NativeText), _plain(a.text()))
                for a in menu.actions()
                if not a.isSeparator() and not a.shortcut().isEmpty()
            ]
            if keyed:
                rows.append((title, keyed))
        return rows + WIDGET_KEYS


def _plain(text: str) -> str:
    return text.replace("&", "").rstrip("…")


class ShortcutsDialog(QDialog):
    """Help → Keyboard shortcuts: every shortcut, grouped by where it works."""

    def __init__(
        self, rows: list[tuple[str, list[tuple[str, str]]]], parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        body = "".join(
            f'<tr><td colspan="2" style="padding-top:10px;"><b>{html.escape(group)}</b></td></tr>'
            + "".join(
                f'<tr><td style="padding-right:18px;"><code>{html.escape(keys)}</code></td>'
                f"<td>{html.escape(what)}</td></tr>"
                for keys, what in items
            )
            for group, items in rows
        )
        self.table = QLabel(f"<table>{body}</table>")
        self.table.setWordWrap(True)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        self.resize(460, 560)

    def text(self) -> str:
        """What the dialog lists, as plain text (tests)."""
        from PySide6.QtGui import QTextDocument

        doc = QTextDocument()
        doc.setHtml(self.table.text())
        return doc.toPlainText()
