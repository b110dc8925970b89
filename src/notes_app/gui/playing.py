"""Playing the meeting's recording from a quoted moment (the quote's Play button).

The player (gui/playback.py) is made on first use: until then no audio library is loaded.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject


class Playing(QObject):
    """The window's playback section; ``audio_output`` is the sounddevice module (None: the
    real one, on use)."""

    def __init__(self, win, audio_output=None) -> None:
        super().__init__(win)
        self.win = win
        self.audio_output = audio_output
        self._player = None

    @property
    def player(self):
        if self._player is None:
            from notes_app.gui.playback import Player

            self._player = Player(self.audio_output, self)
            self._player.state_changed.connect(self.win.view.set_playing)
            self._player.failed.connect(self.win.show_error)
        return self._player

    def play_from(self, seg) -> None:
        """Play the meeting's recording from a segment; None stops."""
        meeting = self.win.view.meeting
        if seg is None or meeting is None or not meeting.audio_path:
            self.stop()
            return
        self.player.play(Path(meeting.audio_path), seg.start)

    def stop(self) -> None:
        if self._player is not None:
            self._player.stop()
