"""Full-text search hits in the sidebar, grouped by meeting: where the words were found and a
snippet, as plain text.

The query runs off the GUI thread (gui/searching.py); this widget only shows the answer. A
meeting's hits sit under one heading, meetings in the order of their best hit. Snippets lose the
notes' Markdown (``#``, ``-``, ``**``), are escaped, and only then do the search index's
highlight markers become bold, so nothing the user typed or said can inject markup. The search
field drives the list from the keyboard (``move``, ``open_current``).
"""

from __future__ import annotations

import html
import re
from typing import cast

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from notes_app.clock import clock, human_date, local_time
from notes_app.enhance.notes_parse import note_line_text, parse_line
from notes_app.gui import theme
from notes_app.gui.transcript_panel import speaker_name
from notes_app.store.search import HL_CLOSE, HL_OPEN, SearchResult

KIND_LABELS = {"title": "Title", "notes": "My notes", "enhanced": "Enhanced notes"}
HIT = Qt.ItemDataRole.UserRole  # a hit's index in ``SearchResults.results``; None on a heading
# Inline Markdown people type in notes: **bold**, __bold__, *em*, _em_, `code`, ~~gone~~, links.
_INLINE = [
    (re.compile(r"\[([^\]\n]+)\]\([^)\s]*\)"), r"\1"),
    (re.compile(r"(\*\*|__|~~)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<!\w)_(?=[^\s_])([^_\n]+?)(?<=[^\s_])_(?!\w)"), r"\1"),
    (re.compile(r"`([^`\n]+)`"), r"\1"),
]


def plain_snippet(snippet: str) -> str:
    """A snippet as words on one line: heading and list markers and inline emphasis gone (an
    ordered item keeps its number), highlight markers kept."""
    lines = []
    for raw in snippet.splitlines():
        if not raw.strip():
            continue
        # The grammar reads markers at the line's start; a marker behind a highlight is one too.
        lead = len(raw) - len(raw.lstrip(HL_OPEN))
        text = raw[:lead] + note_line_text(parse_line(raw[lead:]))
        for pattern, keep in _INLINE:
            text = pattern.sub(keep, text)
        lines.append(text)
    return " ".join(" ".join(lines).split())


def where_label(r: SearchResult) -> str:
    """Where in the meeting the words were found, e.g. "Transcript 01:23 · Them"."""
    if r.kind == "transcript":
        who = speaker_name(r.speaker, None)
        at = clock(r.start) if r.start is not None else ""
        return " · ".join(p for p in ("Transcript " + at, who) if p.strip())
    return KIND_LABELS.get(r.kind, r.kind)


def snippet_html(snippet: str) -> str:
    c = theme.colors()
    text = html.escape(plain_snippet(snippet))
    return text.replace(
        html.escape(HL_OPEN), f'<b style="background-color:{c.highlight}; color:{c.text};">'
    ).replace(html.escape(HL_CLOSE), "</b>")


def heading_html(r: SearchResult) -> str:
    """A meeting's heading over its hits: its title and the day it took place."""
    c = theme.colors()
    when = local_time(r.started_at)
    day = f' <span style="color:{c.muted};">· {human_date(when)}</span>' if when else ""
    return f'<div style="font-weight:600;">{html.escape(r.title)}{day}</div>'


def result_html(r: SearchResult) -> str:
    c = theme.colors()
    return (
        f'<div style="color:{c.accent}; font-size:small;">{html.escape(where_label(r))}</div>'
        f'<div style="color:{c.muted};">{snippet_html(r.snippet)}</div>'
    )


def grouped(results: list[SearchResult]) -> list[list[SearchResult]]:
    """Hits grouped by meeting, meetings in the order of their best hit, each group ranked."""
    groups: dict[int, list[SearchResult]] = {}
    for r in results:
        groups.setdefault(r.meeting_id, []).append(r)
    return list(groups.values())


class Card(QLabel):
    def __init__(self, text: str, margins: tuple[int, int, int, int], parent=None) -> None:
        super().__init__(text, parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setContentsMargins(*margins)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)


class SearchResults(QWidget):
    """A status line over the hits; ``result_clicked`` carries the SearchResult.

    ``results`` holds the hits in the order shown (meeting by meeting)."""

    result_clicked = Signal(object)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.status = QLabel("")
        self.status.setObjectName("Muted")
        self.status.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("SearchResults")
        self.list.setWordWrap(True)
        self.list.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.list.itemClicked.connect(self._clicked)
        self.list.itemActivated.connect(self._clicked)
        self.results: list[SearchResult] = []
        self._rows: list[int] = []  # the list row of each hit
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.status)
        layout.addWidget(self.list, 1)

    def show_searching(self) -> None:
        self.status.setText("Searching…")

    def show_results(self, query: str, results: list[SearchResult]) -> None:
        groups = grouped(list(results))
        self.results = [r for group in groups for r in group]
        self._rows = []
        self.list.clear()
        n = len(results)
        if n:
            meetings = f" in {len(groups)} meetings" if len(groups) > 1 else ""
            many = "+" if n >= 50 else ""
            self.status.setText(f"{n}{many} match{'es' if n != 1 else ''}{meetings}")
        else:
            self.status.setText(f"Nothing matches “{query.strip()}”.")
        for group in groups:
            head = self._add(Card(heading_html(group[0]), (6, 10, 8, 2)), None)
            head.setFlags(Qt.ItemFlag.NoItemFlags)  # a heading is not a place to go
            for r in group:
                self._rows.append(self.list.count())
                self._add(Card(result_html(r), (16, 5, 8, 6)), len(self._rows) - 1)

    def _add(self, card: Card, hit: int | None) -> QListWidgetItem:
        item = QListWidgetItem()
        item.setData(HIT, hit)
        card.setFixedWidth(max(self.list.viewport().width() - 4, 180))
        item.setSizeHint(card.sizeHint().expandedTo(card.minimumSizeHint()))
        card.setMinimumWidth(0)
        card.setMaximumWidth(16777215)
        self.list.addItem(item)
        self.list.setItemWidget(item, card)
        return item

    def card(self, index: int) -> QLabel:
        """The card showing hit ``index`` of ``results``."""
        return cast(QLabel, self.list.itemWidget(self.list.item(self._rows[index])))

    def current(self) -> int | None:
        """The index of the hit the keyboard is on, or None."""
        item = self.list.currentItem()
        return item.data(HIT) if item is not None else None

    def step(self, by: int) -> None:
        """Down (+1) or Up (-1) through the hits, over the meetings' headings."""
        if not self.results:
            return
        now = self.current()
        index = 0 if now is None and by > 0 else (now or 0) + by
        index = min(max(index, 0), len(self.results) - 1)
        self.list.setCurrentRow(self._rows[index])
        self.list.scrollToItem(self.list.currentItem())

    def open_current(self) -> bool:
        """Open the hit the keyboard is on (the first when none is); False without hits."""
        if not self.results:
            return False
        self.click(self.current() or 0)
        return True

    def click(self, index: int) -> None:
        """Open hit ``index`` as a click would (keyboard use and tests)."""
        self.list.setCurrentRow(self._rows[index])
        self.result_clicked.emit(self.results[index])

    def _clicked(self, item: QListWidgetItem | None) -> None:
        if item is not None and item.data(HIT) is not None:
            self.result_clicked.emit(self.results[item.data(HIT)])
