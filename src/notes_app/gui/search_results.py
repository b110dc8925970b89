"""Full-text search hits in the sidebar: the meeting, where the words were found, a snippet.

The query runs off the GUI thread (see ``MainWindow``); this widget only shows the answer.
Snippets are escaped, then the search index's highlight markers become bold, so nothing the
user typed or said can inject markup.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from notes_app.clock import clock
from notes_app.gui import theme
from notes_app.gui.transcript_panel import speaker_name
from notes_app.store.search import HL_CLOSE, HL_OPEN, SearchResult

KIND_LABELS = {"title": "Title", "notes": "My notes", "enhanced": "Enhanced notes"}


def where_label(r: SearchResult) -> str:
    """Where in the meeting the words were found, e.g. "Transcript 01:23 · Them"."""
    if r.kind == "transcript":
        who = speaker_name(r.speaker, None)
        at = clock(r.start) if r.start is not None else ""
        return " · ".join(p for p in ("Transcript " + at, who) if p.strip())
    return KIND_LABELS.get(r.kind, r.kind)


def snippet_html(snippet: str) -> str:
    c = theme.colors()
    text = html.escape(" ".join(snippet.split()))
    return text.replace(
        html.escape(HL_OPEN), f'<b style="background-color:{c.highlight}; color:{c.text};">'
    ).replace(html.escape(HL_CLOSE), "</b>")


def result_html(r: SearchResult) -> str:
    c = theme.colors()
    return (
        f'<div style="font-weight:600;">{html.escape(r.title)}</div>'
        f'<div style="color:{c.accent}; font-size:small;">{html.escape(where_label(r))}</div>'
        f'<div style="color:{c.muted};">{snippet_html(r.snippet)}</div>'
    )


class ResultCard(QLabel):
    def __init__(self, r: SearchResult, parent=None):
        super().__init__(result_html(r), parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setContentsMargins(10, 7, 8, 7)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)


class SearchResults(QWidget):
    """A status line over the list of hits; ``result_clicked`` carries the SearchResult."""

    result_clicked = Signal(object)

    def __init__(self, parent=None):
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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.status)
        layout.addWidget(self.list, 1)

    def show_searching(self) -> None:
        self.status.setText("Searching…")

    def show_results(self, query: str, results: list[SearchResult]) -> None:
        self.results = list(results)
        self.list.clear()
        n = len(results)
        if n:
            self.status.setText(f"{n}{'+' if n >= 50 else ''} match{'es' if n != 1 else ''}")
        else:
            self.status.setText(f"Nothing matches “{query.strip()}”.")
        width = max(self.list.viewport().width() - 4, 180)
        for r in results:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, r)
            card = ResultCard(r)
            card.setFixedWidth(width)
            item.setSizeHint(card.sizeHint().expandedTo(card.minimumSizeHint()))
            card.setMinimumWidth(0)
            card.setMaximumWidth(16777215)
            self.list.addItem(item)
            self.list.setItemWidget(item, card)

    def click(self, row: int) -> None:
        """Open a hit as a click would (keyboard use and tests)."""
        self._clicked(self.list.item(row))

    def _clicked(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self.result_clicked.emit(item.data(Qt.ItemDataRole.UserRole))
