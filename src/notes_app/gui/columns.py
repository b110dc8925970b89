"""One column or two: the meeting list beside the meeting, or one of them at a time.

Wide, the list sits beside the meeting and Ctrl+\\ hides or shows it. Narrower than
``TWO_COLUMNS`` (down to ``MIN_WIDTH``, beside a call), the window is a single column: the
meeting fills it, Ctrl+\\ (or Ctrl+F) swaps it for the list, and choosing a meeting swaps back.
The meeting view goes compact there: its transcript sits under the notes, folded to its header
until a recording or a citation opens it.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

MIN_WIDTH = 640  # narrow enough to sit beside a call on a 1920 px screen
TWO_COLUMNS = 900  # the list (240 px) beside a meeting with its transcript column
SIDEBAR_MAX = 380  # two columns: the list never takes more than this


class Columns(QObject):
    """The window's layout section: which of the list and the meeting show."""

    def __init__(self, win) -> None:
        super().__init__(win)
        self.win = win
        self.single = False
        self.list_hidden = False  # two columns: the user hid the list (Ctrl+\)
        self.on_list = False  # one column: the list shows instead of the meeting

    @property
    def list_shown(self) -> bool:
        return not self.win.sidebar.isHidden()

    def fit(self, width: int) -> None:
        """Called as the window resizes: one column below ``TWO_COLUMNS`` px."""
        single = width < TWO_COLUMNS
        if single == self.single:
            return
        self.single = single
        self.on_list = False
        self.win.view.set_compact(single)
        if single:
            self.win.view.transcript_panel.set_expanded(self.win.recorder.recording)
        self._apply()

    def toggle_list(self) -> None:
        if self.single:
            self.on_list = not self.on_list
            if not self.on_list:
                self.win.view.focus_page()
        else:
            self.list_hidden = not self.list_hidden
        self._apply()
        if self.list_shown:
            self.win.sidebar.focus_list()

    def show_list(self) -> None:
        """The list, e.g. for Ctrl+F (a hidden list is brought back)."""
        self.on_list = self.single
        self.list_hidden = False
        self._apply()

    def show_meeting(self) -> None:
        """One column: a meeting was chosen, so it takes the column from the list."""
        if self.single and self.on_list:
            self.on_list = False
            self._apply()

    def _apply(self) -> None:
        sidebar, body = self.win.sidebar, self.win.body
        if self.single:
            sidebar.setMaximumWidth(16777215)  # the whole column
            sidebar.setVisible(self.on_list)
            body.setVisible(not self.on_list)
        else:
            sidebar.setMaximumWidth(SIDEBAR_MAX)
            sidebar.setVisible(not self.list_hidden)
            body.setVisible(True)
