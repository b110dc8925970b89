"""Searching and asking from the window: full-text search in the sidebar, the Ask panel, and
opening the moment a hit or a citation points at.

Searches run on the window's reader thread (a long one never delays saving notes), once typing
pauses; Ask runs ``App.ask`` as a worker job (gui/ask_panel.py). A citation opened from Ask
moves the panel beside the window, or out of the way, so the notes it opened are not covered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from notes_app.store.search import SearchResult, search

if TYPE_CHECKING:
    from notes_app.gui.ask_panel import AskPanel

SEARCH_LIMIT = 50


class Searching(QObject):
    """The window's search and Ask section."""

    def __init__(self, win, delay_ms: int) -> None:
        super().__init__(win)
        self.win = win
        self.ask_panel: AskPanel | None = None  # made on first use
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(delay_ms)
        self.timer.timeout.connect(self.run)
        sidebar = win.sidebar
        sidebar.search_changed.connect(lambda _query: self.timer.start())
        sidebar.result_clicked.connect(self.open_result)
        sidebar.ask_requested.connect(self.open_ask)
        sidebar.search_left.connect(self._left)

    def focus(self) -> None:
        """Ctrl+F: the search field, its text selected (the list shows, on a narrow window)."""
        self.win.columns.show_list()
        field = self.win.sidebar.search
        field.setFocus()
        field.selectAll()

    def run(self) -> None:
        """Search for what the field says now (debounced: called once typing pauses)."""
        sidebar = self.win.sidebar
        query = sidebar.search.text().strip()
        if not query:
            return
        self.win.reader.submit(
            lambda repo: search(repo.db, query, limit=SEARCH_LIMIT),
            on_done=lambda results: sidebar.show_results(query, results),
            on_fail=self.win.show_error,
            owner=self,
        )

    def open_result(self, result: SearchResult) -> None:
        self.win.open_meeting(result.meeting_id)
        if result.kind == "transcript" and result.segment is not None:
            self.win.view.open_citation(result.segment)

    def _left(self) -> None:
        """Esc in an empty search field: back to the meeting on screen."""
        if self.win.current_id() is not None:
            self.win.columns.show_meeting()
            self.win.view.focus_page()

    # --- asking -----------------------------------------------------------------------------

    def open_ask(self) -> None:
        from notes_app.gui.ask_panel import AskPanel

        win = self.win
        panel = self.ask_panel
        if panel is None:
            panel = self.ask_panel = AskPanel(win.app, win)
            panel.citation_opened.connect(self.open_cited)
        shown = win.view.meeting if win.pages.currentWidget() is win.view else None
        if shown is None:
            panel.set_meeting(None)
        else:
            panel.set_meeting(shown.id, win.view.title.text())
        panel.show()
        panel.raise_()
        panel.question.setFocus()

    def open_cited(self, cited) -> None:
        """A chip in an answer: its meeting at its line, with the panel out of the notes' way."""
        self.open_at(cited.meeting_id, cited.segment)
        if self.ask_panel is not None and self.ask_panel.isVisible():
            if not self.ask_panel.step_aside(self.win.frameGeometry()):
                self.win.view.show_notice("Your answers are kept: Ask (Ctrl+J) shows them again")

    def open_at(self, meeting_id: int | None, segment: int | None) -> None:
        """Open a meeting at a transcript line (a citation's target)."""
        win = self.win
        if meeting_id is None:
            return
        win.refresh_meetings()
        win.open_meeting(meeting_id)
        if win.current_id() == meeting_id and segment is not None:
            win.view.open_citation(segment)

    def meeting_deleted(self, meeting_id: int) -> None:
        """Hits and an Ask scope in a meeting that is gone go with it."""
        if self.win.sidebar.searching:
            self.run()
        if self.ask_panel is not None and self.ask_panel.scope_id() == meeting_id:
            self.ask_panel.set_meeting(None)
