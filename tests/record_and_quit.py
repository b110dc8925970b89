"""Child process for test_gui_exit: the real ``run()``, a short recording, Stop, close, exit.

    python tests/record_and_quit.py MIC.wav CALL.wav

The recording's "devices" play the two files through the real capture code (as in
test_gui_record); everything else is the app as launched. Exits with run()'s exit code.
"""

from __future__ import annotations

import sys

from file_sessions import file_session  # tests/ is this script's folder
from PySide6.QtCore import QThreadPool, QTimer
from PySide6.QtWidgets import QApplication
from shiboken6 import Shiboken

from notes_app.app import App
from notes_app.gui import app as gui_app
from notes_app.gui.main_window import MainWindow
from notes_app.gui.welcome import marker_path
from notes_app.transcribe.engine import WhisperEngine
from notes_app.transcribe.models import default_project_dir, resolve_model

OURS = (MainWindow, QThreadPool)


def file_sessions(mic: str, call: str):
    engine = None

    def factory(settings, bridge):
        nonlocal engine
        if engine is None:
            model = resolve_model(
                settings.transcribe.model,
                project_dir=default_project_dir(),
                home_models_dir=settings.models_dir,
            )
            engine = WhisperEngine(model).load()
        return file_session(settings, bridge, engine, {"mic": mic, "call": call}, keep_audio=True)

    return factory


class Script:
    """Drives the window the way a user would: record, type, stop, wait, close."""

    def __init__(self):
        self.step = "start"

    def tick(self) -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        if not windows or not windows[0].isVisible():
            return
        win = windows[0]
        for box in win.error_boxes:
            print("error:", box.text(), file=sys.stderr, flush=True)
        if self.step == "start":
            win.recording.start()
            self.step = "recording"
        elif self.step == "recording" and win.recorder.recording:
            win.view.editor.insertPlainText("- launch date?")
            if win.view.transcript_panel.view.segment_count() >= 1:
                win.recording.stop()
                self.step = "stopping"
        elif self.step == "stopping" and not (win.recorder.recording or win.recorder.busy):
            self.step = "closing"
        elif self.step == "closing" and win.enhancing.meeting_id is None:
            self.step = "closed"
            win.close()


def main() -> int:
    mic, call = sys.argv[1], sys.argv[2]
    app = App.load()
    marker_path(app.settings).touch()  # a returning user: no first-run welcome
    app.close()
    gui_app.qt_app()
    script = Script()
    timer = QTimer()
    timer.timeout.connect(script.tick)
    timer.start(100)
    code = gui_app.run(session_factory=file_sessions(mic, call))
    timer.stop()
    print(f"run() returned {code} after step {script.step}", flush=True)
    # Whatever is still alive now is left to interpreter shutdown, after Qt: there must be none.
    shared = Shiboken.getCppPointer(QThreadPool.globalInstance())  # Qt's own, ended by Qt
    alive = [
        w
        for w in Shiboken.getAllValidWrappers()
        if isinstance(w, OURS) and Shiboken.getCppPointer(w) != shared
    ]
    left = [type(w).__name__ for w in alive]
    print(f"left for shutdown: {sorted(left)}", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
