"""Start-up stays light: the window shows without the libraries only later work needs.

Timing lives in benchmarks/startup.py; here, what a start loads and when deferred work runs.
Each check of what is loaded runs in a fresh interpreter, so nothing a test imported counts.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from notes_app.domain import Segment
from notes_app.store.db import Database, open_db, pending_migrations

# Loaded by later work only: a recording, transcribing, an LLM request, sharing, a migration,
# the overview page, finishing a crashed recording.
HEAVY = (
    "numpy",
    "sqlite_utils",
    "faster_whisper",
    "ctranslate2",
    "onnxruntime",
    "av",
    "sounddevice",
    "openai",
    "httpx",
    "keyring",
    "notes_app.session",
    "notes_app.recover",
    "notes_app.gui.overview",
    "notes_app.gui.share_dialog",
)


def loaded_after(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it leaves its findings in ``found`` (a dict)."""
    program = f"import json, sys\nfound = {{}}\n{code}\nprint(json.dumps(found))"
    out = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _meetings(app, n: int = 3) -> None:
    for i in range(n):
        app.repo.create_meeting(
            f"Sync {i}",
            notes="# Agenda\n- budget",
            segments=[Segment(j, j * 5.0, j * 5 + 4.0, f"line {j}", "them", 1) for j in range(5)],
        )


WINDOW = """
def then():
    pass

from PySide6.QtCore import QTimer
from notes_app.app import App
from notes_app.gui.app import after_first_paint, qt_app
from notes_app.gui.main_window import MainWindow

qapp = qt_app()
app = App.load()
window = MainWindow(app)
window.show()

def painted():
    found["modules"] = sorted(sys.modules)
    found["meeting"] = window.current_id()
    found["listed"] = window.sidebar.visible_ids()
    found["menus"] = sorted(window.menus.actions)
    then()
    qapp.quit()

after_first_paint(window, painted)
QTimer.singleShot(20_000, qapp.quit)
qapp.exec()
"""


def test_the_window_paints_without_the_heavy_libraries(app):
    pytest.importorskip("PySide6")
    _meetings(app)
    found = loaded_after(WINDOW)
    assert not set(found["modules"]) & set(HEAVY), sorted(set(found["modules"]) & set(HEAVY))
    # ... and is whole when it paints: the list, the latest meeting open, every menu command.
    assert len(found["listed"]) == 3 and found["meeting"] == max(found["listed"])
    assert {"new", "record", "enhance", "overview", "share", "shortcuts"} <= set(found["menus"])


def test_what_was_left_out_loads_when_first_used(app):
    pytest.importorskip("PySide6")
    _meetings(app, 1)
    found = loaded_after(
        WINDOW.replace(
            "    pass",
            "    window.open_overview()\n"
            "    found['overview'] = window.pages.currentWidget() is window.overview\n"
            "    found['later'] = sorted(sys.modules)",
        )
    )
    assert found["overview"]
    assert "notes_app.gui.overview" in set(found["later"]) - set(found["modules"])


def test_work_after_the_first_paint_waits_for_it_and_runs_once(qtbot):
    pytest.importorskip("PySide6")
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QWidget

    from notes_app.gui.app import after_first_paint, qt_app

    qt_app()
    seen: list[str] = []

    class Paints(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.Paint:
                seen.append("paint")
            return False

    widget = QWidget()
    qtbot.addWidget(widget)
    spy = Paints(widget)
    widget.installEventFilter(spy)
    after_first_paint(widget, lambda: seen.append("work"))
    qtbot.wait(20)
    assert seen == []  # not shown: nothing painted, nothing run
    widget.show()
    qtbot.waitUntil(lambda: "work" in seen)
    assert seen.index("paint") < seen.index("work")
    widget.update()
    qtbot.wait(50)
    assert seen.count("work") == 1


def test_work_after_the_first_paint_still_runs_when_nothing_paints(qtbot):
    pytest.importorskip("PySide6")
    from PySide6.QtWidgets import QWidget

    from notes_app.gui.app import after_first_paint, qt_app

    qt_app()
    widget = QWidget()  # never shown
    qtbot.addWidget(widget)
    ran: list[int] = []
    after_first_paint(widget, lambda: ran.append(1), fallback_ms=30)
    qtbot.waitUntil(lambda: ran == [1])
    qtbot.wait(50)
    assert ran == [1]


# --- the store opens without sqlite-utils ---------------------------------------------------


def test_an_up_to_date_database_opens_without_sqlite_utils_and_a_new_one_is_migrated(tmp_path):
    path = tmp_path / "notes.db"
    open_db(path).close()  # created and migrated here
    code = (
        "from notes_app.store.repo import Repo\n"
        f"repo = Repo.open({str(path)!r})\n"
        "found['meetings'] = len(repo.list_meetings())\n"
        "found['sqlite_utils'] = 'sqlite_utils' in sys.modules\n"
        f"fresh = Repo.open({str(tmp_path / 'fresh.db')!r})\n"
        "fresh.create_meeting('first')\n"
        "found['after_new'] = 'sqlite_utils' in sys.modules\n"
    )
    found = loaded_after(code)
    assert found == {"meetings": 0, "sqlite_utils": False, "after_new": True}
    fresh = open_db(tmp_path / "fresh.db")
    assert pending_migrations(fresh) == []
    assert [r["title"] for r in fresh.query("SELECT title FROM meetings")] == ["first"]


def test_a_migration_added_later_is_applied_on_open(tmp_path):
    from notes_app.store import db as store_db

    path = tmp_path / "notes.db"
    last = store_db._STEPS[-1].__name__
    old = open_db(path, apply=False)
    store_db.schema_migrations().apply(old.utils, stop_before=last)
    assert pending_migrations(old) == [last]
    old.close()
    assert pending_migrations(open_db(path)) == []


def test_the_database_behaves_as_sqlite_utils_does(tmp_path):
    sqlite_utils = pytest.importorskip("sqlite_utils")
    path = tmp_path / "t.db"
    ours = Database(sqlite3.connect(path))
    theirs = sqlite_utils.Database(sqlite3.connect(path))
    other = sqlite3.connect(path)  # a second connection sees only what was committed
    for db in (ours, theirs):
        db.execute("DROP TABLE IF EXISTS t")
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO t (name) VALUES (?)", ["lone"])  # a lone write commits at once
        assert not db.conn.in_transaction
        assert other.execute("SELECT name FROM t").fetchall() == [("lone",)]
        with pytest.raises(RuntimeError), db.atomic():
            db.execute("INSERT INTO t (name) VALUES ('rolled back')")
            raise RuntimeError
        with db.atomic():
            db.execute("INSERT INTO t (name) VALUES ('outer')")
            with pytest.raises(RuntimeError), db.atomic():  # nested: a savepoint
                db.execute("INSERT INTO t (name) VALUES ('inner')")
                raise RuntimeError
        assert [r[0] for r in other.execute("SELECT name FROM t ORDER BY id")] == ["lone", "outer"]
        with pytest.raises(sqlite3.IntegrityError):
            db.execute("INSERT INTO t (id, name) VALUES (1, 'clash')")
        assert not db.conn.in_transaction  # the failed write left no transaction open
    duplicated = "SELECT a.name, b.name, a.id AS name_2 FROM t a JOIN t b ON a.id = b.id"
    assert list(ours.query(duplicated)) == list(theirs.query(duplicated))
    assert list(ours.query("PRAGMA table_info(t)")) == list(theirs.query("PRAGMA table_info(t)"))
    with pytest.raises(ValueError):
        list(ours.query("UPDATE t SET name = name"))
