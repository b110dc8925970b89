"""The enhanced view: the user's words in normal text, AI text grey, citations as chips.

The HTML is built here from blocks with every piece of text escaped. A citation is a link
``cite:<segment>``; clicking it emits ``citation_clicked`` instead of navigating.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QTextBrowser

from notes_app.domain import Block, Citation, EnhancedNotes, Segment
from notes_app.gui import theme
from notes_app.render import clock

CITE_SCHEME = "cite"


STREAMING_LEGEND = (
    "Writing… lines appear as the model writes them; they are checked against the transcript "
    "when it finishes."
)
LEGEND = (
    "Your notes in normal text; grey lines were added from the transcript. "
    "Click a time to see the moment it came from."
)


def notes_html(
    notes: EnhancedNotes, by_index: dict[int, Segment], *, streaming: bool = False
) -> str:
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
    legend = STREAMING_LEGEND if streaming else LEGEND
    parts.append(f'<p class="legend">{html.escape(legend)}</p>')
    depth = 0  # 0: no list open, 1: a list, 2: AI context nested under a user line
    for block in notes.blocks:
        want = _list_depth(block)
        while depth > want:
            parts.append("</ul>")
            depth -= 1
        while depth < want:
            parts.append("<ul>" if depth == 0 else '<ul type="circle">')
            depth += 1
        parts.append(block_html(block, by_index, want > 0, streaming=streaming))
    parts.extend("</ul>" for _ in range(depth))
    parts.append("</body></html>")
    return "\n".join(parts)


def _list_depth(block: Block) -> int:
    """User bullets form a list; AI context about a user line sits one level under it."""
    if block.source == "ai" and block.type != "heading":
        return 2 if block.note_line is not None else 1
    return 1 if block.type == "bullet" else 0


def block_html(
    block: Block, by_index: dict[int, Segment], listed: bool, *, streaming: bool = False
) -> str:
    # While streaming nothing is checked yet: no block is flagged until the final result.
    unverified = block.source == "ai" and not block.verified and not streaming
    cls = block.source
    if unverified:
        cls += " unverified"
    body = html.escape(block.shown_text)
    chips = "".join(_chip(c, by_index) for c in block.citations)
    flag = ""
    if unverified:
        flag = ' <span class="flag">&nbsp;unverified&nbsp;</span>'
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

    def show_notes(self, notes: EnhancedNotes, by_index: dict[int, Segment]) -> None:
        self.notes = notes
        bar = self.verticalScrollBar().value()
        self.setHtml(notes_html(notes, by_index))
        self.verticalScrollBar().setValue(bar)

    def show_streaming(self, blocks: list[Block], by_index: dict[int, Segment]) -> None:
        """Blocks as an LLM writes them, following the end; replaced by the checked result."""
        bar = self.verticalScrollBar()
        follow = bar.value() >= bar.maximum() - 4
        self.setHtml(
            notes_html(EnhancedNotes(None, "llm", tuple(blocks)), by_index, streaming=True)
        )
        if follow:
            bar.setValue(bar.maximum())

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
