"""The notes editor and its autosave.

The editor is a QPlainTextEdit (fast on long text, no layout cost while recording) with a light
Markdown highlighter. Autosave collects edits and writes them about a second after the user
stops typing, through the DbWriter thread, so a slow disk never stalls typing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import QPlainTextEdit

from notes_app.enhance.notes_parse import parse_line
from notes_app.errors import NotesAppError
from notes_app.gui import theme
from notes_app.gui.workers import DbWriter
from notes_app.store.repo import Repo

AUTOSAVE_DELAY_MS = 1000

_BOLD = re.compile(r"\*\*[^*]+\*\*")
_ACTION = re.compile(r"\b(TODO|Action|AI:)\b", re.IGNORECASE)


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
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("NotesEditor")
        self.setPlaceholderText(
            "Type your notes here — a few words per point is enough.\n"
            "# Headings, - bullets. Enhance fills in the rest from the transcript."
        )
        self.setTabChangesFocus(False)
        self.document().setDocumentMargin(18)
        self._highlighter = MarkdownHighlighter(self.document())

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
