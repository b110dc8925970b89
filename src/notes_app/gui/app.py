"""The desktop app's entry point: ``notes-app`` with no arguments lands here."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QThreadPool, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from notes_app.app import App
from notes_app.config import app_home
from notes_app.errors import NotesAppError
from notes_app.gui import theme
from notes_app.logs import setup_logging


def qt_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication, created once, styled to follow the system's dark/light mode."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
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
    theme.follow_system(qapp)
    return qapp


class _FirstPaint(QObject):
    """Runs ``then`` from the event loop once ``widget`` has painted for the first time."""

    def __init__(self, widget, then: Callable[[], object], fallback_ms: int):
        super().__init__(widget)
        self.then = then
        self.fired = False
        widget.installEventFilter(self)
        # A window that never paints (shown minimised, or on no screen) still gets its call.
        QTimer.singleShot(fallback_ms, self, self._fire)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            # Queued: the rest of the window paints and reaches the screen first.
            QTimer.singleShot(0, self, self._fire)
        return False

    def _fire(self) -> None:
        if not self.fired:
            self.fired = True
            self.then()
            self.deleteLater()


def after_first_paint(widget, then: Callable[[], object], fallback_ms: int = 2000) -> None:
    """Call ``then`` once ``widget`` is on screen: work a user need not wait for to see the
    window (QTimer.singleShot(0) alone runs before the first paint, which waits for the X
    server's expose). ``fallback_ms``: call it then anyway, if the window has not painted."""
    _FirstPaint(widget, then, fallback_ms)


# How long the exit waits for background jobs (an enhancement, a search) to finish.
EXIT_WAIT_MS = 15_000


def run(argv: list[str] | None = None, *, session_factory=None) -> int:
    """Open the window and run until it closes; returns the exit code.

    ``session_factory`` replaces how a recording opens its devices (tests play files).
    """
    setup_logging(app_home())
    qapp = qt_app(argv)
    from notes_app.gui.main_window import MainWindow

    try:
        app = App.load()
        app.repo  # noqa: B018 - open the database now, so a broken one is reported at once
    except NotesAppError as e:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(None, "Notes", str(e))
        return 1
    options = {"session_factory": session_factory} if session_factory is not None else {}
    window = MainWindow(app, **options)
    window.show()
    # What only may need the user (the first-run welcome, a crashed recording to finish) is
    # looked at once the window is on screen, not before its first paint.
    after_first_paint(window, window.offer_welcome)
    after_first_paint(window, window.offer_recovery)
    code = qapp.exec()
    tear_down(window)
    del window
    app.close()
    return code


def tear_down(window) -> None:
    """End background work and delete the window while Qt still runs.

    Left to interpreter shutdown, worker threads, queued signal results and Qt objects were
    destroyed in no particular order, after Qt had gone: after a recording that aborted the
    process ("bool_dealloc … refcount error in a C extension"). Here everything ends in order:
    the jobs finish, their results are delivered, the window and its threads are deleted.
    """
    window.shut_down()
    QThreadPool.globalInstance().waitForDone(EXIT_WAIT_MS)
    QCoreApplication.sendPostedEvents()  # results of jobs that just ended reach their slots
    QCoreApplication.processEvents()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
