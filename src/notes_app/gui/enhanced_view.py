"""The enhanced view: the user's words in normal text, AI text grey, citations as chips.

The HTML is built here from blocks with every piece of text escaped. A citation is a link
``cite:<segment>``; clicking it emits ``citation_clicked`` instead of navigating.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QTextBrowser, QToolButton

from notes_app.domain import Block, Citation, EnhancedNotes, Segment
from notes_app.gui import theme
from notes_app.render import clock

CITE_SCHEME = "cite"
UNVERIFIED = "unverified"


STREAMING_LEGEND = (
    "Writing… lines appear as the model writes them; they are checked against the transcript "
    "when it finishes."
)
LEGEND = (
    "Your notes in normal text; grey lines were added from the transcript. "
    "Click a time to see the moment it came from."
)


def notes_html(
    notes: EnhancedNotes,
    by_index: dict[int, Segment],
    *,
    streaming: bool = False,
    legend: bool = True,
    flags: bool = True,
) -> str:
    """The notes as HTML. ``legend`` puts the line explaining grey text first; ``flags`` marks
    unverified AI lines with a label (the editor shows them in the warning colour only)."""
    c = theme.colors()
    css = f"""
    body {{ color: {c.text}; }}
    p, li {{ margin-top: 3px; margin-bottom: 3px; }}
    h1, h2, h3, h4 {{ margin-top: 14px; margin-bottom: 4px; font-weight: 600; }}
    .user {{ color: {c.text}; white-space: pre-wrap; }}
    .ai {{ color: {c.muted}; }}
    .unverified {{ color: {c.warn}; }}
    .flag {{ color: {c.warn}; background-color: {c.warn_soft}; font-size: small; }}
    .legend {{ color: {c.muted}; font-size: small; margin-bottom: 10px; }}
    a.cite {{ color: {c.accent}; background-color: {c.accent_soft}; text-decoration: none;
              font-size: small; font-family: monospace; }}
    """
    parts = [f"<html><head><style>{css}</style></head><body>"]
    if legend:
        text = STREAMING_LEGEND if streaming else LEGEND
        parts.append(f'<p class="legend">{html.escape(text)}</p>')
    lists: list[str] = []  # the kind of each open list, outermost first
    for block, (depth, kind) in zip(notes.blocks, placements(notes.blocks), strict=True):
        while len(lists) > depth or (depth and len(lists) == depth and lists[-1] != kind):
            parts.append("</ul>")
            lists.pop()
        while len(lists) < depth:
            here = kind if len(lists) == depth - 1 else "bullet"  # a level with no item
            parts.append(_open_list(here, len(lists) + 1))
            lists.append(here)
        parts.append(block_html(block, by_index, depth > 0, streaming=streaming, flags=flags))
    parts.extend("</ul>" for _ in lists)
    parts.append("</body></html>")
    return "\n".join(parts)


def placements(blocks: tuple[Block, ...] | list[Block]) -> list[tuple[int, str]]:
    """Each block's list depth (0: not in a list) and the kind of list it sits in.

    User bullets keep their nesting (``level``) and an ordered item its own number, shown as
    text ("ordered" lists draw no bullet); AI context about a user line sits one level under
    that line; AI lines of a section the AI added (action items) form a list of their own.
    """
    out: list[tuple[int, str]] = []
    anchor = 0  # the depth of the latest user line
    for block in blocks:
        if block.type == "heading" or (block.source == "user" and block.type == "paragraph"):
            anchor = 0
            out.append((0, ""))
        elif block.source == "ai" and block.note_line is not None:
            out.append((anchor + 1, "ai"))
        else:
            depth = max(block.level, 1) if block.type == "bullet" else 1
            if block.source == "user":
                anchor = depth
            out.append((depth, "ordered" if block.marker else "bullet"))
    return out


_BULLET_TYPES = ("disc", "circle", "square")


def _open_list(kind: str, depth: int) -> str:
    if kind == "ordered":
        return '<ul style="list-style-type: none;">'
    if kind == "ai":
        return '<ul type="circle">'
    return f'<ul type="{_BULLET_TYPES[min(depth, 3) - 1]}">'


# Markdown emphasis as the enhanced notes are read: **bold** and *italic*, around text that
# starts and ends with a non-space, not inside a word ("2*3*4" and "a * b" stay as typed).
_STRONG = re.compile(r"(?<![\w*])\*\*(?=[^\s*]|\*[^\s*])(.+?)(?<=\S)\*\*(?![\w*])")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")


def inline_html(text: str) -> str:
    """``text`` escaped, with Markdown emphasis as bold and italic."""
    out = _STRONG.sub(r"<b>\1</b>", html.escape(text))
    return _EMPHASIS.sub(r"<i>\1</i>", out)


def block_html(
    block: Block,
    by_index: dict[int, Segment],
    listed: bool,
    *,
    streaming: bool = False,
    flags: bool = True,
) -> str:
    # While streaming nothing is checked yet: no block is flagged until the final result.
    unverified = block.source == "ai" and not block.verified and not streaming
    cls = block.source
    if unverified:
        cls += " unverified"
    body = inline_html(block.shown_text)
    chips = "".join(_chip(c, by_index) for c in block.citations)
    flag = ""
    if unverified and flags:
        flag = f' <span class="flag">&nbsp;{UNVERIFIED}&nbsp;</span>'
    inner = f'<span class="{cls}">{body}</span>{chips}{flag}'
    if listed:
        return f'<li class="{cls}">{inner}</li>'
    if block.type == "heading":
        level = min(max(block.level, 1), 3) + 1
        return f'<h{level} class="{cls}">{inner}</h{level}>'
    return f'<p class="{cls}">{inner}</p>'


def _chip(c: Citation, by_index: dict[int, Segment]) -> str:
    seg = by_index.get(c.segment)
    title = ""
    if seg is not None:
        who = f"{seg.speaker}: " if seg.speaker else ""
        title = f' title="{html.escape(who + seg.text, quote=True)}"'
    return (
        f'&nbsp;<a class="cite" href="{CITE_SCHEME}:{int(c.segment)}"{title}>'
        f"&nbsp;{clock(c.start)}&nbsp;</a>"
    )


class EnhancedView(QTextBrowser):
    citation_clicked = Signal(int)  # the cited segment's index

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("EnhancedView")
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.document().setDocumentMargin(18)
        self.anchorClicked.connect(self._on_anchor)
        self.notes: EnhancedNotes | None = None
        self._shown: tuple[EnhancedNotes, dict[int, Segment], bool] | None = None

    def show_notes(self, notes: EnhancedNotes, by_index: dict[int, Segment]) -> None:
        self.notes = notes
        self._shown = (notes, by_index, False)
        bar = self.verticalScrollBar().value()
        self.setHtml(notes_html(notes, by_index))
        self.verticalScrollBar().setValue(bar)

    def show_streaming(self, blocks: list[Block], by_index: dict[int, Segment]) -> None:
        """Blocks as an LLM writes them, following the end; replaced by the checked result."""
        bar = self.verticalScrollBar()
        follow = bar.value() >= bar.maximum() - 4
        notes = EnhancedNotes(None, "llm", tuple(blocks))
        self._shown = (notes, by_index, True)
        self.setHtml(notes_html(notes, by_index, streaming=True))
        if follow:
            bar.setValue(bar.maximum())

    def restyle(self) -> None:
        """The theme changed (``theme.apply`` calls this): the colours are in the HTML, so
        render again."""
        if self._shown is None:
            return
        notes, by_index, streaming = self._shown
        bar = self.verticalScrollBar().value()
        self.setHtml(notes_html(notes, by_index, streaming=streaming))
        self.verticalScrollBar().setValue(bar)

    def citation_links(self) -> list[str]:
        """Every citation link in the document, in order (for tests and keyboard use)."""
        links = []
        block = self.document().begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                href = it.fragment().charFormat().anchorHref()
                if href.startswith(CITE_SCHEME + ":") and (not links or links[-1] != href):
                    links.append(href)
                it += 1
            block = block.next()
        return links

    def _on_anchor(self, url: QUrl) -> None:
        if url.scheme() == CITE_SCHEME:
            try:
                self.citation_clicked.emit(int(url.path()))
            except ValueError:
                pass  # not one of ours; nothing to jump to


def close_button(tip: str, on_click) -> QToolButton:
    """A small "×" that closes the bar it sits on (the quote under the notes)."""
    button = QToolButton()
    button.setText("✕")
    button.setObjectName("Close")
    button.setToolTip(tip)
    button.setAccessibleName(tip)
    button.setAutoRaise(True)
    button.clicked.connect(on_click)
    return button
