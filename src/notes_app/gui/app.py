"""The desktop app's entry point: ``notes-app`` with no arguments lands here."""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from notes_app.app import App
from notes_app.errors import NotesAppError
from notes_app.gui import theme


def qt_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication, created once, styled to follow the system's dark/light mode."""
    existing = QApplication.instance()
    if existing is not None:
        return existing
    # Fractional scale factors (1.25, 1.5) stay exact, so text and icons are crisp on high-DPI.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    qapp = QApplication(list(argv if argv is not None else sys.argv[:1]))
    qapp.setApplicationName("notes-app")
    qapp.setApplicationDisplayName("Notes")
    qapp.setDesktopFileName("notes-app")
    qapp.setWindowIcon(theme.app_icon())
    theme.apply(qapp)
    # Follow the system when the user switches dark/light mode while the app runs.
    qapp.styleHints().colorSchemeChanged.connect(lambda _scheme: theme.apply(qapp))
    return qapp


def run(argv: list[str] | None = None) -> int:
    """Open the window and run until it closes; returns the exit code."""
    qapp = qt_app(argv)
    from notes_app.gui.main_window import MainWindow

    try:
        app = App.load()
        app.repo  # noqa: B018 - open the database now, so a broken one is reported at once
    except NotesAppError as e:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(None, "Notes", str(e))
        return 1
    window = MainWindow(app)
    window.show()
    QTimer.singleShot(0, window, window.offer_welcome)
    QTimer.singleShot(0, window, window.offer_recovery)
    code = qapp.exec()
    app.close()
    return code
