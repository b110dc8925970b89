"""The log: a rotating file in the data folder keeps everything; the terminal stays quiet.

The user sees one sentence when something goes wrong; the log keeps the rest (tracebacks of
errors the app survived, what libraries reported). Set up once, at the command line's and the
window's entry. On the terminal only our own warnings and errors appear, never a library's
chatter (one of them calls ``logging.basicConfig(level=INFO)`` when imported, which printed
every HTTP request; a root logger that already has handlers makes that call do nothing).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path

from notes_app.private import create_private, private_dir

LOG_FILE = "notes-app.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"
_OURS = "notes_app"

log = logging.getLogger(__name__)


def log_dir(data_dir: Path) -> Path:
    """The folder the log files live in: ``logs/`` in the data folder."""
    return Path(data_dir) / "logs"


def log_file(data_dir: Path) -> Path:
    """The current log file (older ones sit beside it as ``.1`` … ``.5``)."""
    return log_dir(data_dir) / LOG_FILE


class _Stderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now (a test runner swaps it per command)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


class _LogFile(RotatingFileHandler):
    """The rotating log file; when it cannot be written (a full disk) it says so once on the
    terminal and stops trying, instead of printing a traceback for every record."""

    failed = False

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):
            super().handleError(record)
            return
        if not self.failed:
            self.failed = True
            sys.stderr.write(
                f"The log file {self.baseFilename} cannot be written ({error.strerror or error});"
                " logging to the terminal only.\n"
            )
        with contextlib.suppress(OSError):
            self.close()

    def emit(self, record: logging.LogRecord) -> None:
        if not self.failed:
            super().emit(record)


class _TerminalFilter(logging.Filter):
    """Our own records only, and none marked for the file alone."""

    def filter(self, record: logging.LogRecord) -> bool:
        ours = record.name == _OURS or record.name.startswith(_OURS + ".")
        return ours and not getattr(record, "file_only", False)


def setup_logging(data_dir: Path, *, verbose: bool = False) -> Path | None:
    """Send all logging to a rotating file in ``data_dir/logs``; our warnings to stderr.

    Safe to call again (the command line opens the window, tests call it per data folder): the
    handlers set up before are replaced. Returns the log file, or None when the folder cannot
    be written (then the terminal gets our warnings and errors only).
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        # Ours from an earlier call, or a library's basicConfig (a bare StreamHandler) that would
        # print everything; other handlers (a test runner's capture) are left alone.
        if getattr(handler, "_notes_app", False) or type(handler) is logging.StreamHandler:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)

    terminal = _Stderr()
    terminal.setLevel(logging.INFO if verbose else logging.WARNING)
    terminal.addFilter(_TerminalFilter())
    terminal.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    _adopt(root, terminal)

    path = log_file(data_dir)
    try:
        private_dir(data_dir)  # the data folder and its logs are the user's alone
        create_private(private_dir(path.parent) / path.name)
        handler = _LogFile(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
    except OSError as e:
        log.warning("No log file in %s (%s); logging to the terminal only.", path.parent, e)
        _hook_uncaught()
        return None
    handler.setFormatter(logging.Formatter(_FORMAT))
    _adopt(root, handler)
    _hook_uncaught()
    return path


def _adopt(root: logging.Logger, handler: logging.Handler) -> None:
    handler._notes_app = True  # type: ignore[attr-defined]  # ours, replaced on the next setup
    root.addHandler(handler)


def _hook_uncaught() -> None:
    """Uncaught exceptions (main thread, other threads, Qt slots) land in the log file too.

    The previous hook still runs, so the terminal shows the traceback as before; the log copy is
    marked file-only so it is not printed twice.
    """
    if getattr(sys.excepthook, "_notes_app", False):
        return
    previous = sys.excepthook
    previous_thread = threading.excepthook

    def excepthook(exc_type, exc, tb):
        if not issubclass(exc_type, KeyboardInterrupt):
            log.critical(
                "Unexpected error", exc_info=(exc_type, exc, tb), extra={"file_only": True}
            )
        previous(exc_type, exc, tb)

    def thread_excepthook(args):
        if args.exc_type is not SystemExit:
            name = args.thread.name if args.thread is not None else "?"
            log.critical(
                "Unexpected error in thread %s",
                name,
                exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
                extra={"file_only": True},
            )
        previous_thread(args)

    excepthook._notes_app = True  # type: ignore[attr-defined]
    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook
