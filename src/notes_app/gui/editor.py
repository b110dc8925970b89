"""The notes editor and its autosave.

The editor is a QPlainTextEdit (fast on long text, no layout cost while recording) with a light
Markdown highlighter and list keys: Enter continues a list (numbers count up, an empty item ends
the list), Tab and Shift+Tab nest and un-nest list items, and Ctrl+Tab or Esc leave the editor.
Autosave collects edits and writes them about a second after the user stops typing, through the
DbWriter thread, so a slow disk never stalls typing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent, QSyntaxHighlighter, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from notes_app.enhance.notes_parse import parse_line
from notes_app.errors import NotesAppError
from notes_app.gui import theme
from notes_app.gui.workers import DbWriter
from notes_app.store.repo import Repo

AUTOSAVE_DELAY_MS = 1000

_BOLD = re.compile(r"\*\*[^*]+\*\*")
_ACTION = re.compile(r"\b(TODO|Action|AI:)\b", re.IGNORECASE)

INDENT = "  "  # one nesting level, as the note-line grammar reads it

# A list item's marker, split into indent, marker and the space after it. Only used on lines the
# grammar (``parse_line``) already calls list items, or to spot an item with nothing typed yet.
_ITEM = re.compile(r"^([ \t]*)(-{1,4}|[•‣◦▪]|[*+]|\d{1,9}[.)])([ \t]*)")
_EMPTY_ITEM = re.compile(r"^[ \t]*(?:-{1,4}[ \t]*|[•‣◦▪][ \t]*|[*+][ \t]+|\d{1,9}[.)][ \t]+)$")


# --- list lines (plain text in, plain text out) ----------------------------------------------


def list_item(line: str) -> tuple[str, str, str] | None:
    """(indent, marker, space) of a list item, or None for any other line.

    A line is an item when the note-line grammar says so, or when it is a marker with nothing
    typed after it yet (what Enter leaves behind, "- " or "2. ").
    """
    if not is_empty_item(line) and parse_line(line).kind != "bullet":
        return None
    m = _ITEM.match(line)
    return (m.group(1), m.group(2), m.group(3)) if m else None


def is_empty_item(line: str) -> bool:
    return bool(_EMPTY_ITEM.match(line))


def next_marker(marker: str) -> str:
    """The marker of the item after this one: "3." after "2.", the same bullet otherwise."""
    if marker[:-1].isdigit():
        return f"{int(marker[:-1]) + 1}{marker[-1]}"
    return marker


def continued_item(line: str) -> str | None:
    """What Enter at the end of ``line`` starts: the next item's prefix, or None (not a list)."""
    item = list_item(line)
    if item is None:
        return None
    indent, marker, space = item
    return indent + next_marker(marker) + (space or ("" if marker.startswith("-") else " "))


def nested(line: str) -> str:
    """The item one level deeper."""
    return INDENT + line


def unnested(line: str) -> str:
    """The item one level up ("--a" loses a dash); a top-level item stays as it is."""
    item = list_item(line)
    if item is None:
        return line
    indent, marker, _space = item
    if indent:
        width = indent.replace("\t", "    ")
        return width[len(INDENT) :] + line[len(indent) :]
    if marker.startswith("--"):
        return line[1:]
    return line


def item_depth(line: str) -> int:
    """1 for a top-level item, 2 for one nested once, …; 0 when the line is not an item."""
    item = list_item(line)
    if item is None:
        return 0
    if is_empty_item(line):
        return parse_line(line.rstrip() + " x").level
    return parse_line(line).level


def renumbered(line: str, number: int) -> str:
    """An ordered item given ``number``; any other line unchanged."""
    item = list_item(line)
    if item is None or not item[1][:-1].isdigit():
        return line
    indent, marker, _space = item
    return indent + f"{number}{marker[-1]}" + line[len(indent) + len(marker) :]


def _ordinal(line: str) -> int | None:
    item = list_item(line)
    if item is None or not item[1][:-1].isdigit():
        return None
    return int(item[1][:-1])


class MarkdownHighlighter(QSyntaxHighlighter):
    """Headings larger and bold, bullet markers in the accent colour, **bold** bold.

    Each line is read on its own with the note-line grammar the enhancer uses
    (``notes_parse.parse_line``), so what looks like a list item here is one there too.
    """

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt override
        c = theme.colors()
        line = parse_line(text)
        lead = len(text) - len(text.lstrip())
        if line.is_heading and text.lstrip().startswith("#"):
            fmt = QTextCharFormat()
            fmt.setFontWeight(QFont.Weight.Bold)
            fmt.setFontPointSize(max(11.0, 16.0 - 1.5 * line.level))
            self.setFormat(0, len(text), fmt)
            marks = QTextCharFormat()
            marks.setForeground(QColor(c.muted))
            self.setFormat(lead, line.level, marks)
            return
        if line.kind == "bullet":
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(c.accent))
            fmt.setFontWeight(QFont.Weight.Bold)
            start = text.find(line.text, lead)
            self.setFormat(lead, max(start - lead, 0), fmt)
        for m in _BOLD.finditer(text):
            fmt = QTextCharFormat()
            fmt.setFontWeight(QFont.Weight.Bold)
            self.setFormat(m.start(), m.end() - m.start(), fmt)
        for m in _ACTION.finditer(text):
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(c.warn))
            self.setFormat(m.start(), m.end() - m.start(), fmt)


class NotesEditor(QPlainTextEdit):
    """The user's notes: plain text, with the list keys of a notes app.

    Tab on a list item nests it and Shift+Tab un-nests it; on any other line they move the focus
    on (Tab never types a tab character, which would turn ``# Heading`` into a paragraph).
    Ctrl+Tab and Esc always leave the editor.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("NotesEditor")
        self.setPlaceholderText(
            "Type your notes here — a few words per point is enough.\n"
            "# Headings, - bullets or 1. numbers (Enter continues a list, Tab nests it).\n"
            "Enhance fills in the rest from the transcript."
        )
        self.setTabChangesFocus(False)
        self.document().setDocumentMargin(18)
        self._highlighter = MarkdownHighlighter(self.document())

    def restyle(self) -> None:
        """The theme changed (``theme.apply`` calls this): highlight in its colours. A new
        colour is not an edit: no textChanged, so nothing is autosaved."""
        blocked = self.blockSignals(True)
        try:
            self._highlighter.rehighlight()
        finally:
            self.blockSignals(blocked)

    # --- keys -----------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key, mods = event.key(), event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        if key == Qt.Key.Key_Escape or (ctrl and key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab)):
            self.leave(forward=key != Qt.Key.Key_Backtab)
            return
        if key == Qt.Key.Key_Tab and not mods & Qt.KeyboardModifier.ShiftModifier:
            if not self.indent_items(deeper=True):
                self.leave(forward=True)
            return
        if key == Qt.Key.Key_Backtab or (
            key == Qt.Key.Key_Tab and mods & Qt.KeyboardModifier.ShiftModifier
        ):
            if not self.indent_items(deeper=False):
                self.leave(forward=False)
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if mods & Qt.KeyboardModifier.ShiftModifier:
                self.textCursor().insertText("\n")  # a plain line break, never a list item
                return
            if not mods & ~Qt.KeyboardModifier.KeypadModifier and self.continue_list():
                return
        super().keyPressEvent(event)

    def leave(self, forward: bool = True) -> None:
        """Move the keyboard focus to the next (or previous) control, out of the notes."""
        QWidget.focusNextPrevChild(self, forward)

    def continue_list(self) -> bool:
        """Enter in a list item: start the next item, or end the list on an empty one."""
        cursor = self.textCursor()
        if cursor.hasSelection():
            return False
        block = cursor.block()
        line = block.text()
        item = list_item(line)
        if item is None:
            return False
        prefix_end = sum(len(part) for part in item)
        at = cursor.positionInBlock()
        if at < prefix_end:
            return False  # Enter before the marker just moves the item down
        cursor.beginEditBlock()
        if is_empty_item(line):
            # An empty item ends the list: its marker goes, the line is left blank.
            cursor.movePosition(QTextCursor.MoveOperation.StartOfBlock)
            cursor.movePosition(
                QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor
            )
            cursor.removeSelectedText()
        else:
            prefix = continued_item(line[:at]) or ""
            cursor.insertText("\n" + prefix)
            self._renumber_after(cursor.block())
        cursor.endEditBlock()
        self.setTextCursor(cursor)
        self.ensureCursorVisible()
        return True

    def indent_items(self, deeper: bool) -> bool:
        """Nest (or un-nest) the list items the cursor or selection is on; False if none is."""
        cursor = self.textCursor()
        doc = self.document()
        first = doc.findBlock(cursor.selectionStart())
        last = doc.findBlock(cursor.selectionEnd())
        if cursor.hasSelection() and cursor.selectionEnd() == last.position() and last != first:
            last = last.previous()  # a selection ending at a line's start does not take it
        blocks = []
        block = first
        while block.isValid():
            blocks.append(block)
            if block == last:
                break
            block = block.next()
        items = [b for b in blocks if list_item(b.text()) is not None]
        if not items:
            return False
        column = cursor.positionInBlock()
        old_len = len(cursor.block().text())
        edit = QTextCursor(doc)
        edit.beginEditBlock()
        for b in items:
            line = b.text()
            new = nested(line) if deeper else unnested(line)
            if new != line:
                number = self._number_at(b, item_depth(new)) if _ordinal(new) else None
                self._replace_line(edit, b, renumbered(new, number) if number else new)
        for b in items:
            self._renumber_after(b)
            self._renumber_list(b, item_depth(b.text()) + (-1 if deeper else 1))
        edit.endEditBlock()
        if not cursor.hasSelection():
            # Keep the caret on the same character of the line.
            block = cursor.block()
            shift = len(block.text()) - old_len
            moved = QTextCursor(block)
            moved.setPosition(block.position() + max(0, min(column + shift, block.length() - 1)))
            self.setTextCursor(moved)
        return True

    @staticmethod
    def _replace_line(edit: QTextCursor, block, text: str) -> None:
        edit.setPosition(block.position())
        edit.setPosition(block.position() + len(block.text()), QTextCursor.MoveMode.KeepAnchor)
        edit.insertText(text)

    @staticmethod
    def _number_at(block, depth: int) -> int:
        """The number an ordered item at ``depth`` gets here: one after the item above it at
        that depth in the same list, else 1."""
        above = block.previous()
        while above.isValid():
            line = above.text()
            d = item_depth(line)
            if d == 0 and line.strip():
                break  # the list ended above
            if d == depth:
                n = _ordinal(line)
                return n + 1 if n is not None else 1
            if 0 < d < depth:
                break  # the parent item: this is the first child
            above = above.previous()
        return 1

    def _renumber_list(self, block, depth: int) -> None:
        """Renumber the list at ``depth`` that ``block`` just left (or joined from below)."""
        if depth < 1:
            return
        above = block.previous()
        while above.isValid():
            d = item_depth(above.text())
            if d == depth:
                self._renumber_after(above)
                return
            if d == 0 or d < depth:
                break
            above = above.previous()
        below = block.next()  # no item above at that depth: the first one below becomes 1
        while below.isValid():
            d = item_depth(below.text())
            if d == depth:
                if _ordinal(below.text()) not in (None, 1):
                    self._replace_line(
                        QTextCursor(self.document()), below, renumbered(below.text(), 1)
                    )
                self._renumber_after(below)
                return
            if d == 0 or d < depth:
                return
            below = below.next()

    def _renumber_after(self, block) -> None:
        """Renumber the ordered items below ``block`` at its depth, up to the list's end."""
        depth = item_depth(block.text())
        number = _ordinal(block.text())
        if not depth or number is None:
            return
        edit = QTextCursor(self.document())
        below = block.next()
        while below.isValid():
            line = below.text()
            d = item_depth(line)
            if d == 0 or d < depth:
                break
            if d == depth:
                current = _ordinal(line)
                if current is None:
                    break  # a bullet at this depth: another list
                number += 1
                if current != number:
                    self._replace_line(edit, below, renumbered(line, number))
            below = below.next()

    def set_text_quietly(self, text: str) -> None:
        """Load text without it counting as an edit (no autosave of what was just read)."""
        self.blockSignals(True)
        self.setPlainText(text)
        self.blockSignals(False)


class Autosaver(QObject):
    """Debounced, ordered writes: the latest value per key wins, nothing typed is dropped.

    A key is e.g. ``(meeting_id, "notes")``; its write is a function of the writer's Repo. When
    a write fails the value stays pending, so the next edit or the flush on close retries it.
    """

    saved = Signal(object)  # the key
    failed = Signal(object)  # NotesAppError

    def __init__(self, writer: DbWriter, delay_ms: int = AUTOSAVE_DELAY_MS, parent=None):
        super().__init__(parent)
        self.writer = writer
        self._pending: dict[object, Callable[[Repo], None]] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.flush)

    def changed(self, key: object, write: Callable[[Repo], None]) -> None:
        self._pending[key] = write
        self._timer.start()  # restarts: saves a second after the last keystroke

    @property
    def has_pending(self) -> bool:
        return bool(self._pending)

    def flush(self) -> None:
        """Send every pending write to the writer thread now."""
        self._timer.stop()
        pending, self._pending = self._pending, {}
        for key, write in pending.items():
            self.writer.submit(
                write,
                on_done=lambda _r, key=key: self.saved.emit(key),
                on_fail=lambda err, key=key, write=write: self._retry_later(key, write, err),
                owner=self,
            )

    def discard(self, drop: Callable[[object], bool]) -> None:
        """Forget the pending writes whose key ``drop`` matches (their row is gone)."""
        self._pending = {k: w for k, w in self._pending.items() if not drop(k)}
        if not self._pending:
            self._timer.stop()

    def flush_and_wait(self) -> None:
        """Flush and block until it is on disk: used when the window closes."""
        self.flush()
        self.writer.flush()

    def _retry_later(self, key: object, write: Callable[[Repo], None], err: NotesAppError):
        self._pending.setdefault(key, write)  # a newer edit of the same key takes precedence
        self.failed.emit(err)
