"""The tray icon: shows whether a meeting is being recorded, and offers Start/Stop."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from notes_app.gui import theme


def make_tray(window) -> Tray | None:
    """The window's tray icon, shown; None where the desktop has no tray."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    tray = Tray(window, can_record=True)
    tray.show()
    return tray


class Tray(QSystemTrayIcon):
    def __init__(self, window, can_record: bool):
        super().__init__(theme.app_icon(), window)
        self.window = window
        menu = QMenu()
        show = QAction("Show notes", menu)
        show.triggered.connect(self._show_window)
        menu.addAction(show)
        self.record_action = QAction("Start recording", menu)
        self.record_action.triggered.connect(window.toggle_recording)
        self.record_action.setVisible(can_record)
        menu.addAction(self.record_action)
        menu.addSeparator()
        quit_action = QAction("Quit", menu)
        quit_action.triggered.connect(window.close)
        menu.addAction(quit_action)
        self.setContextMenu(menu)
        self._menu = menu  # the tray does not own its menu; keep it alive
        self.activated.connect(self._on_activated)
        self.set_recording(False)

    def set_recording(self, recording: bool) -> None:
        self.setIcon(theme.app_icon(recording=recording))
        self.setToolTip("Notes — recording" if recording else "Notes")
        self.record_action.setText("Stop recording" if recording else "Start recording")

    def _on_activated(self, reason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self._show_window()

    def _show_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()
