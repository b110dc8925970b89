"""The transcript panel: committed lines with times and speakers, tentative text lighter.

Lines are inserted with QTextCursor and char formats (never HTML), so transcript text cannot
inject markup. While recording, the view follows the end unless the user has scrolled up.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from notes_app.clock import clock
from notes_app.domain import CHANNEL_SPEAKER, CHANNEL_THEM, Segment
from notes_app.gui import theme
from notes_app.textkit import speaker_label


def speaker_name(speaker: str | None, channel: int | None) -> str:
    """The word the notes use for a line's speaker ("You", "Them", a name); without a speaker,
    the channel's; "" when neither says."""
    if not speaker and channel is not None:
        speaker = CHANNEL_SPEAKER.get(channel)
    return speaker_label(speaker) or ""


class TranscriptView(QTextEdit):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("TranscriptView")
        self.setReadOnly(True)
        self.setFrameShape(QTextEdit.Shape.NoFrame)
        self.setUndoRedoEnabled(False)  # an undo stack would grow for hours while recording
        self.document().setDocumentMargin(12)
        self._block_of: dict[int, int] = {}  # segment index -> document block number
        self._tentative: dict[int | None, str] = {}
        self._committed_end = 0  # document position where tentative text begins
        self.highlighted_index: int | None = None

    # --- content ------------------------------------------------------------------------------

    def set_segments(self, segments: tuple[Segment, ...] | list[Segment]) -> None:
        self.clear()
        self._block_of.clear()
        self._tentative.clear()
        self._committed_end = 0
        self.highlighted_index = None
        self.setExtraSelections([])
        for seg in segments:
            self._insert_committed(seg)
        self.moveCursor(QTextCursor.MoveOperation.Start)

    def add_segment(self, seg: Segment) -> None:
        follow = self._at_end()
        self._insert_committed(seg)
        self._tentative.pop(seg.channel, None)
        self._redraw_tentative()
        if follow:
            self.scroll_to_end()

    def set_tentative(self, channel: int | None, text: str) -> None:
        follow = self._at_end()
        if text.strip():
            self._tentative[channel] = text.strip()
        else:
            self._tentative.pop(channel, None)
        self._redraw_tentative()
        if follow:
            self.scroll_to_end()

    def segment_count(self) -> int:
        return len(self._block_of)

    def tentative_text(self) -> str:
        return " ".join(self._tentative.values())

    # --- navigation ---------------------------------------------------------------------------

    def jump_to(self, index: int) -> bool:
        """Scroll to a segment and highlight it; False if the transcript has no such line."""
        block_no = self._block_of.get(index)
        if block_no is None:
            return False
        block = self.document().findBlockByNumber(block_no)
        cursor = QTextCursor(block)
        sel = QTextEdit.ExtraSelection()
        sel.cursor = cursor
        sel.format.setBackground(QColor(theme.colors().highlight))
        sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        self.setExtraSelections([sel])
        self.setTextCursor(cursor)
        # Put the line near the top third rather than at the very edge.
        bar = self.verticalScrollBar()
        top = int(self.document().documentLayout().blockBoundingRect(block).top())
        bar.setValue(max(0, top - self.viewport().height() // 3))
        self.highlighted_index = index
        return True

    def scroll_to_end(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _at_end(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 4

    # --- drawing ------------------------------------------------------------------------------

    def _insert_committed(self, seg: Segment) -> None:
        cursor = QTextCursor(self.document())
        # Drop tentative text; it is redrawn after the committed line.
        cursor.setPosition(self._committed_end)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        if self._block_of:
            cursor.insertBlock()
        self._block_of[seg.index] = cursor.blockNumber()
        self._write_line(
            cursor,
            seg.start,
            speaker_name(seg.speaker, seg.channel),
            seg.text,
            seg.channel,
            tentative=False,
        )
        self._committed_end = cursor.position()

    def _redraw_tentative(self) -> None:
        cursor = QTextCursor(self.document())
        cursor.setPosition(self._committed_end)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        for channel, text in self._tentative.items():
            if self._block_of or cursor.position() > 0:
                cursor.insertBlock()
            name = speaker_name(None, channel) or "…"
            self._write_line(cursor, None, name, text + " …", channel, tentative=True)

    def _write_line(self, cursor, start, name, text, channel, *, tentative: bool) -> None:
        c = theme.colors()
        spacing = QTextBlockFormat()
        spacing.setBottomMargin(7)
        cursor.setBlockFormat(spacing)
        time_fmt = QTextCharFormat()
        time_fmt.setForeground(QColor(c.muted))
        time_fmt.setFontFamilies(["monospace"])
        time_fmt.setFontPointSize(8.5)
        who_fmt = QTextCharFormat()
        who_fmt.setFontWeight(QFont.Weight.DemiBold)
        who_fmt.setForeground(QColor(c.them if channel == CHANNEL_THEM else c.me))
        text_fmt = QTextCharFormat()
        text_fmt.setForeground(QColor(c.muted if tentative else c.text))
        if tentative:
            text_fmt.setFontItalic(True)
            who_fmt.setForeground(QColor(c.muted))
        cursor.insertText(f"{clock(start)}  " if start is not None else "  …    ", time_fmt)
        if name:
            cursor.insertText(f"{name}  ", who_fmt)
        cursor.insertText(text, text_fmt)


class TranscriptPanel(QWidget):
    """A header with a collapse toggle over the transcript view."""

    toggled = Signal(bool)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.view = TranscriptView()
        self.toggle = QToolButton()
        self.toggle.setCheckable(True)
        self.toggle.setChecked(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow)
        self.toggle.setText("Transcript")
        self.toggle.toggled.connect(self.set_expanded)
        self.status = QLabel("")
        self.status.setObjectName("Muted")
        head = QHBoxLayout()
        head.setContentsMargins(8, 6, 8, 2)
        head.addWidget(self.toggle)
        head.addStretch(1)
        head.addWidget(self.status)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(head)
        layout.addWidget(self.view, 1)

    @property
    def expanded(self) -> bool:
        return self.toggle.isChecked()

    def set_expanded(self, expanded: bool) -> None:
        self.view.setVisible(expanded)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        if self.toggle.isChecked() != expanded:
            self.toggle.setChecked(expanded)
        self.toggled.emit(expanded)

    def show_count(self) -> None:
        n = self.view.segment_count()
        self.status.setText(f"{n} line{'s' if n != 1 else ''}" if n else "No transcript yet")
