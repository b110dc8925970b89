"""Enhanced notes edited in place, and read back into blocks keeping what the user did not touch.

The editor shows the notes as the enhanced view does (headings, nested and numbered lists, the
user's words in normal text, AI text grey, citations as chips) and the user edits that. Each
paragraph of the document remembers which block it was loaded from (a block-format property),
so reading back is line by line: a line left alone is its old block again, with its source,
citations and verification; a changed or new line becomes the user's own words, keeping the
chips still on it. A line turns the user's colour as soon as it is changed, so what is saved is
what the screen shows. Saving stores a new version; the old one stays.

``text_to_blocks`` does the same for plain text (one Markdown-ish line per block).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeyEvent,
    QTextBlock,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
    QTextListFormat,
)
from PySide6.QtWidgets import QTextEdit, QWidget

from notes_app.domain import Block, Citation, EnhancedNotes, Segment
from notes_app.enhance.notes_parse import parse_line as parse_note_line
from notes_app.gui import theme

log = logging.getLogger(__name__)

# On a paragraph's block format: the index of the block it was loaded from.
ORIGIN = QTextFormat.Property.UserProperty + 1


def block_line(block: Block) -> str:
    if block.type == "heading":
        return "#" * max(1, min(block.level, 6)) + " " + block.text
    if block.type == "bullet":
        return "  " * max(block.level - 1, 0) + (block.marker or "-") + " " + block.text
    return block.text


def blocks_to_text(blocks: tuple[Block, ...]) -> str:
    return "\n".join(block_line(b) for b in blocks)


def parse_line(line: str) -> Block:
    """A line the user typed, as a user block (read with the notes' own grammar)."""
    ln = parse_note_line(line)
    return Block(ln.kind, ln.text, "user", level=ln.level, marker=ln.marker)


def text_to_blocks(text: str, previous: tuple[Block, ...]) -> tuple[Block, ...]:
    """Blocks for edited text: unchanged lines reuse their old block, in order of appearance."""
    unused: dict[str, list[Block]] = {}
    for b in previous:
        unused.setdefault(block_line(b), []).append(b)
    out: list[Block] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        same = unused.get(line)
        out.append(same.pop(0) if same else parse_line(line))
    return tuple(out)


# --- the in-place editor ----------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One paragraph of the editor as read back: its Markdown text, structure and chips."""

    text: str  # with **bold** / *italic* written back as Markdown
    kind: str  # "heading", "bullet" or "paragraph"
    level: int
    segments: tuple[int, ...]  # the cited segments of the chips on it, in order


def chip_segment(fmt: QTextCharFormat) -> int | None:
    href = fmt.anchorHref() if fmt.isAnchor() else ""
    if not href.startswith("cite:"):
        return None
    try:
        return int(href[len("cite:") :])
    except ValueError:
        return None


def read_line(block: QTextBlock) -> Line:
    heading = block.blockFormat().headingLevel()
    text: list[str] = []
    segments: list[int] = []
    for frag in theme.fragments(block):
        fmt = frag.charFormat()
        seg = chip_segment(fmt)
        if seg is not None:
            if not segments or segments[-1] != seg:
                segments.append(seg)
            continue
        text.append(_markdown(frag.text(), fmt, heading > 0))
    body = "".join(text).replace("\u2028", " ").replace("\xa0", " ").strip()
    if heading:
        return Line(body, "heading", max(heading - 1, 1), tuple(segments))
    lst = block.textList()
    if lst is not None:
        return Line(body, "bullet", max(lst.format().indent(), 1), tuple(segments))
    return Line(body, "paragraph", 1, tuple(segments))


def _markdown(text: str, fmt: QTextCharFormat, heading: bool) -> str:
    """A fragment's text with its emphasis written as Markdown (spaces kept outside)."""
    core = text.strip()
    if not core:
        return text
    strong = not heading and fmt.fontWeight() >= QFont.Weight.Bold.value
    mark = ("**" if strong else "") + ("*" if fmt.fontItalic() else "")
    if not mark:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return f"{lead}{mark}{core}{mark[::-1]}{trail}"


def line_to_block(line: Line, cited: dict[int, Citation]) -> Block | None:
    """A changed or new line as the user's own block; None for an empty line."""
    if not line.text:
        return None
    citations = tuple(cited[s] for s in line.segments if s in cited)
    if line.kind == "heading":
        return Block("heading", line.text, "user", citations=citations, level=line.level)
    parsed = parse_note_line(line.text)
    if line.kind == "bullet":
        # Markdown typed inside a list item ("1. x", "- x") is the item's own marker.
        if parsed.kind == "bullet":
            level = line.level + parsed.level - 1
            return Block("bullet", parsed.text, "user", None, citations, True, level, parsed.marker)
        return Block("bullet", line.text, "user", citations=citations, level=line.level)
    return Block(
        parsed.kind, parsed.text, "user", None, citations, True, parsed.level, parsed.marker
    )


class EnhancedEditor(QTextEdit):
    """Enhanced notes edited where they are shown; ``blocks()`` reads the edit back."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("EnhancedView")  # styled like the view it replaces while editing
        self.setAcceptRichText(False)  # pasted text arrives as text, never as foreign markup
        self.document().setDocumentMargin(18)
        self.previous: tuple[Block, ...] = ()
        self._loaded: list[Line] = []
        self._by_index: dict[int, Segment] = {}
        self._restyling = False
        self.document().contentsChange.connect(self._changed)
        self.cursorPositionChanged.connect(self._not_into_chips)

    # --- loading and reading back -------------------------------------------------------------

    def load(self, notes: EnhancedNotes, by_index: dict[int, Segment]) -> None:
        from notes_app.gui.enhanced_view import notes_html

        self.previous = notes.blocks
        self._by_index = by_index
        self._restyling = True
        try:
            self.setHtml(notes_html(notes, by_index, legend=False, flags=False))
            self._loaded = []
            block = self.document().begin()
            index = 0
            while block.isValid():
                if index < len(notes.blocks):
                    fmt = QTextBlockFormat()
                    fmt.setProperty(ORIGIN, index)
                    QTextCursor(block).mergeBlockFormat(fmt)
                    self._loaded.append(read_line(block))
                index += 1
                block = block.next()
            if index != len(notes.blocks):
                log.warning("Editing: %d paragraphs for %d blocks", index, len(notes.blocks))
        finally:
            self._restyling = False
        self.document().setModified(False)
        self.document().clearUndoRedoStacks()
        self.moveCursor(QTextCursor.MoveOperation.Start)

    def lines(self) -> list[tuple[int | None, Line]]:
        """Every paragraph as (the block it was loaded from, what it says now)."""
        out = []
        block = self.document().begin()
        while block.isValid():
            out.append((self._origin(block), read_line(block)))
            block = block.next()
        return out

    def blocks(self) -> tuple[Block, ...]:
        """The edited notes as blocks: untouched lines are their old blocks, the rest the
        user's own (a line whose chips were removed keeps the citations still on it)."""
        cited = {c.segment: c for b in self.previous for c in b.citations}
        used: set[int] = set()
        out: list[Block] = []
        for origin, line in self.lines():
            old = self._unchanged(origin, line, used)
            if old is not None:
                used.add(origin)  # type: ignore[arg-type]
                out.append(old)
                continue
            block = line_to_block(line, cited)
            if block is not None:
                out.append(block)
        return tuple(out)

    def _unchanged(self, origin: int | None, line: Line, used: set[int]) -> Block | None:
        if origin is None or origin in used or origin >= len(self._loaded):
            return None
        loaded = self._loaded[origin]
        if (line.text, line.kind, line.level) != (loaded.text, loaded.kind, loaded.level):
            return None
        old = self.previous[origin]
        if line.segments == loaded.segments:
            return old
        kept = tuple(c for c in old.citations if c.segment in line.segments)
        if old.source == "ai" and not kept:
            return None  # an AI line with every citation removed has nothing to stand on
        return replace(old, citations=kept)

    @staticmethod
    def _origin(block: QTextBlock) -> int | None:
        value = block.blockFormat().property(ORIGIN)
        return int(value) if isinstance(value, int) else None

    # --- keeping the screen honest while typing -----------------------------------------------

    def _changed(self, position: int, _removed: int, added: int) -> None:
        """A changed line is the user's from now on: show it in the user's colour."""
        if self._restyling:
            return
        doc = self.document()
        block = doc.findBlock(position)
        end = doc.findBlock(position + added)
        self._restyling = True
        try:
            while block.isValid():
                self._restyle(block)
                if block == end:
                    break
                block = block.next()
        finally:
            self._restyling = False

    def _restyle(self, block: QTextBlock) -> None:
        origin = self._origin(block)
        line = read_line(block)
        if origin is not None and origin < len(self._loaded):
            loaded = self._loaded[origin]
            if (line.text, line.kind, line.level) == (loaded.text, loaded.kind, loaded.level):
                return  # as loaded (e.g. a chip removed): its colour still says who wrote it
        user = QColor(theme.colors().text)
        it = block.begin()
        cursor = QTextCursor(self.document())
        while not it.atEnd():
            frag = it.fragment()
            it += 1
            if not frag.isValid() or chip_segment(frag.charFormat()) is not None:
                continue
            if frag.charFormat().foreground().color() != user:
                fmt = QTextCharFormat()
                fmt.setForeground(user)
                cursor.setPosition(frag.position())
                cursor.setPosition(frag.position() + frag.length(), QTextCursor.MoveMode.KeepAnchor)
                cursor.mergeCharFormat(fmt)

    def _not_into_chips(self) -> None:
        """Typing next to a chip types text, not more of the chip."""
        cursor = self.textCursor()
        if chip_segment(cursor.charFormat()) is None:
            return
        fmt = QTextCharFormat()
        fmt.setForeground(QColor(theme.colors().text))
        fmt.setFontFamilies(self.document().defaultFont().families())
        fmt.setFontPointSize(self.document().defaultFont().pointSizeF())
        self.setCurrentCharFormat(fmt)

    def insertFromMimeData(self, source: QMimeData) -> None:  # noqa: N802 - Qt override
        if source.hasText():
            self.textCursor().insertText(source.text())

    # --- keys -----------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key, mods = event.key(), event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        back = key == Qt.Key.Key_Backtab or bool(mods & Qt.KeyboardModifier.ShiftModifier)
        if key == Qt.Key.Key_Escape or (ctrl and key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab)):
            QWidget.focusNextPrevChild(self, key != Qt.Key.Key_Backtab)
            return
        if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
            if not self._indent(-1 if back else 1):
                QWidget.focusNextPrevChild(self, not back)
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._heading_ends():
            return
        super().keyPressEvent(event)

    def _indent(self, step: int) -> bool:
        """Nest or un-nest the list item the cursor is on; False when it is not in a list."""
        cursor = self.textCursor()
        lst = cursor.block().textList()
        if lst is None:
            return False
        fmt = QTextListFormat(lst.format())
        depth = fmt.indent() + step
        if depth < 1:
            return True  # a top-level item stays where it is
        fmt.setIndent(depth)
        cursor.createList(fmt)
        self._restyle_now(cursor.block())
        return True

    def _heading_ends(self) -> bool:
        """Enter at the end of a heading starts a plain paragraph, not another heading."""
        cursor = self.textCursor()
        if not cursor.block().blockFormat().headingLevel() or not cursor.atBlockEnd():
            return False
        plain = QTextBlockFormat()
        text = QTextCharFormat()
        text.setForeground(QColor(theme.colors().text))
        cursor.insertBlock(plain, text)
        self.setTextCursor(cursor)
        return True

    def _restyle_now(self, block: QTextBlock) -> None:
        self._restyling = True
        try:
            self._restyle(block)
        finally:
            self._restyling = False
