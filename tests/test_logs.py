"""The log: a rotating file in the data folder; on the terminal only our own warnings."""

import logging
import subprocess
import sys
import textwrap
from logging.handlers import RotatingFileHandler

from click.testing import CliRunner

from notes_app.cli import main
from notes_app.logs import log_dir, log_file, setup_logging


def _run(code: str, home) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**_env(), "NOTES_APP_HOME": str(home)},
    )


def _env() -> dict:
    import os

    return {k: v for k, v in os.environ.items() if k != "NOTES_APP_HOME"}


def test_library_chatter_goes_to_the_file_not_the_terminal(tmp_path):
    # wordllama calls logging.basicConfig(level=INFO) when imported; before this change every
    # HTTP request then printed "INFO:httpx:…" on the terminal.
    proc = _run(
        """
        import logging, os
        from pathlib import Path
        import wordllama  # noqa: F401 - its basicConfig runs before ours
        from notes_app.logs import setup_logging
        setup_logging(Path(os.environ["NOTES_APP_HOME"]))
        import wordllama.inference  # noqa: F401 - and after ours
        logging.getLogger("httpx").info("HTTP Request: POST http://x/v1 200")
        logging.getLogger("httpx").warning("a library warning")
        logging.getLogger("notes_app.enhance").info("an info of ours")
        logging.getLogger("notes_app.enhance").warning("a warning of ours")
        try:
            {}["missing"]
        except KeyError:
            logging.getLogger("notes_app.store").exception("survived a lookup")
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "HTTP Request" not in proc.stderr and "a library warning" not in proc.stderr
    assert "an info of ours" not in proc.stderr
    assert "a warning of ours" in proc.stderr and "survived a lookup" in proc.stderr
    text = (tmp_path / "logs" / "notes-app.log").read_text()
    for line in ("HTTP Request", "a library warning", "an info of ours", "a warning of ours"):
        assert line in text
    assert "Traceback" in text and "KeyError: 'missing'" in text


def test_uncaught_errors_reach_the_file(tmp_path):
    proc = _run(
        """
        import os, threading
        from pathlib import Path
        from notes_app.logs import setup_logging
        setup_logging(Path(os.environ["NOTES_APP_HOME"]))
        t = threading.Thread(target=lambda: 1 / 0, name="worker-x")
        t.start(); t.join()
        raise RuntimeError("boom at the top")
        """,
        tmp_path,
    )
    assert proc.returncode == 1
    # The terminal shows the traceback once, as Python does.
    assert proc.stderr.count("RuntimeError: boom at the top") == 1
    text = (tmp_path / "logs" / "notes-app.log").read_text()
    assert "RuntimeError: boom at the top" in text
    assert "thread worker-x" in text and "ZeroDivisionError" in text


def test_file_rotates_and_setup_can_run_again(tmp_path):
    setup_logging(tmp_path)
    setup_logging(tmp_path)  # the command line opens the window, which sets up again
    root = logging.getLogger()
    files = [h for h in root.handlers if isinstance(h, RotatingFileHandler)]
    assert len(files) == 1
    assert files[0].maxBytes == 1_000_000 and files[0].backupCount == 5
    assert files[0].baseFilename == str(log_file(tmp_path))
    assert log_dir(tmp_path) == tmp_path / "logs"


def test_unwritable_data_folder_does_not_stop_the_app(tmp_path):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    assert setup_logging(blocker) is None  # logs/ cannot be made inside a file


def test_doctor_prints_the_log_file(notes_home):
    res = CliRunner().invoke(main, ["doctor"])
    assert str(notes_home / "logs" / "notes-app.log") in res.output
