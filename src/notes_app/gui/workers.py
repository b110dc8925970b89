"""The one worker pattern: a QRunnable job on a QThreadPool reporting through signals.

A job wraps a plain function ``fn(progress)`` from the core. It runs on a pool thread; its
``progress``, ``finished`` and ``failed`` signals are delivered on the GUI thread (queued
connections), so slots may touch widgets. The core never sees Qt: it gets a plain callable.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import QProgressBar

from notes_app.errors import NotesAppError, StorageError
from notes_app.store.repo import Repo

if TYPE_CHECKING:
    from notes_app.app import App

log = logging.getLogger(__name__)


class JobSignals(QObject):
    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(object)  # a NotesAppError (unexpected exceptions are wrapped in one)


class Job(QRunnable):
    """Runs ``fn(progress)`` off the GUI thread; ``progress(value)`` emits the progress signal."""

    def __init__(self, fn: Callable[[Callable[[Any], None]], Any]):
        super().__init__()
        self.fn = fn
        self.signals = JobSignals()
        # The pool deletes finished runnables; the signals object must outlive the run so the
        # queued finished/failed events still reach their slots.
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self.fn(self.signals.progress.emit)
        except NotesAppError as e:
            self.signals.failed.emit(e)
        except Exception as e:  # noqa: BLE001 - a bug must become a dialog, not a dead thread
            log.exception("A background job failed")  # the traceback goes to the log
            self.signals.failed.emit(
                NotesAppError(
                    f"Something went wrong: {type(e).__name__}: {e}. Your notes are saved; "
                    "please report this with the steps that led to it."
                )
            )
        else:
            self.signals.finished.emit(result)


_live_signals: set[JobSignals] = set()


class _Relay(QObject):
    """Calls a job's callbacks on behalf of ``owner``; dies with it, so a closed window's
    callbacks are never called on deleted widgets."""

    def __init__(self, owner: QObject, on_done, on_fail, on_progress):
        super().__init__(owner)
        self._done, self._fail, self._progress = on_done, on_fail, on_progress

    def progress(self, value: object) -> None:
        if self._progress:
            self._progress(value)

    def done(self, result: object) -> None:
        self.deleteLater()
        if self._done:
            self._done(result)

    def fail(self, err: object) -> None:
        self.deleteLater()
        if self._fail:
            self._fail(err)


def start_job(
    fn: Callable[[Callable[[Any], None]], Any],
    *,
    on_done: Callable[[Any], None] | None = None,
    on_fail: Callable[[NotesAppError], None] | None = None,
    on_progress: Callable[[Any], None] | None = None,
    owner: QObject | None = None,
    pool: QThreadPool | None = None,
) -> Job:
    """Run ``fn`` on ``pool`` (the global pool by default) and wire the callbacks.

    With an ``owner`` the callbacks run only while the owner exists.
    """
    job = Job(fn)
    signals = job.signals
    # Keep the signals object alive until the job reported, even after the runnable is deleted.
    _live_signals.add(signals)

    def release(*_: object) -> None:
        _live_signals.discard(signals)

    if owner is not None:
        relay = _Relay(owner, on_done, on_fail, on_progress)
        on_done, on_fail, on_progress = relay.done, relay.fail, relay.progress
    if on_progress:
        signals.progress.connect(on_progress)
    if on_done:
        signals.finished.connect(on_done)
    if on_fail:
        signals.failed.connect(on_fail)
    signals.finished.connect(release)
    signals.failed.connect(release)
    (pool or QThreadPool.globalInstance()).start(job)
    return job


def app_job(
    app: App, work: Callable[[App, Callable[[Any], None]], Any]
) -> Callable[[Callable[[Any], None]], Any]:
    """A job function running ``work(own, progress)`` with an App of the worker thread's own
    (``App.on_this_thread``: the same settings, a database connection of that thread's)."""

    def run(progress: Callable[[Any], None]) -> Any:
        with app.on_this_thread() as own:
            return work(own, progress)

    return run


def busy_bar(visible: bool = False) -> QProgressBar:
    """The window's progress indicator for a job of unknown length (a range set later turns
    it into a bar that fills)."""
    bar = QProgressBar()
    bar.setRange(0, 0)
    bar.setTextVisible(False)
    bar.setVisible(visible)
    return bar


class DbWriter:
    """Writes to the database in order, on one dedicated thread with its own connection.

    SQLite connections belong to one thread, and notes must land in the order they were typed,
    so every write goes through a pool of exactly one long-lived thread.
    """

    def __init__(self, db_path):
        self.db_path = db_path
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(1)
        self.pool.setExpiryTimeout(-1)  # keep the thread (and its connection) for the app's life
        self._local = threading.local()
        self.closed = False

    def repo(self) -> Repo:
        """The writer thread's own Repo (call only from inside a submitted function). One open
        read-only (a full disk, a damaged file) is opened afresh for each write, so saving
        resumes by itself once the disk has room or the database was repaired."""
        repo = getattr(self._local, "repo", None)
        if repo is not None and repo.read_only:
            repo.close()
            repo = self._local.repo = None
        if repo is None:
            self._local.repo = Repo.open(self.db_path)
        return self._local.repo

    def submit(
        self,
        write: Callable[[Repo], Any],
        *,
        on_done: Callable[[Any], None] | None = None,
        on_fail: Callable[[NotesAppError], None] | None = None,
        owner: QObject | None = None,
    ) -> Job:
        if self.closed:
            raise StorageError("The notes database was closed with the window; reopen the app.")
        return start_job(
            lambda _progress: write(self.repo()),
            on_done=on_done,
            on_fail=on_fail,
            owner=owner,
            pool=self.pool,
        )

    def flush(self) -> None:
        """Block until every submitted write is on disk (used when the window closes)."""
        if not self.closed:
            self.pool.waitForDone()

    def close(self) -> None:
        """Finish the writes, close the connection and end the thread (now, while Qt runs:
        left to interpreter exit, the pool and its thread go down after Qt has)."""
        if self.closed:
            return
        self.flush()
        done = threading.Event()

        def close_conn(_progress):
            repo = getattr(self._local, "repo", None)
            if repo is not None:
                repo.close()
                self._local.repo = None
            done.set()

        self.pool.start(Job(close_conn))
        self.pool.waitForDone()
        if not done.is_set():  # pragma: no cover - defensive
            raise StorageError("The database writer did not stop cleanly; restart the app.")
        self.closed = True
        shiboken6.delete(self.pool)  # joins the pool's thread
