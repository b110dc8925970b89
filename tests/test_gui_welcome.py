"""The first-run welcome: live levels through the real capture code, the real Whisper model."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")

from notes_app.audio.capture import FileInputModule  # noqa: E402
from notes_app.audio.devices import DeviceChoice, InputDevice  # noqa: E402
from notes_app.gui.app import qt_app  # noqa: E402
from notes_app.gui.main_window import MainWindow  # noqa: E402
from notes_app.gui.welcome import marker_path  # noqa: E402

TONE = (0.3 * np.sin(2 * np.pi * 440 * np.arange(16000 * 30) / 16000)).astype(np.float32)
MIC = InputDevice("mic", "Test mic", "mic", open_device="mic")
CALL = InputDevice("call", "Test call", "monitor", open_device="call")


class Finder:
    """Our own seam: which inputs 'exist' (the capture code that opens them is the real one)."""

    def __init__(self, mic, system, problems=()):
        self.choice = DeviceChoice(mic, system, tuple(problems))

    def choose(self, mic="", system=""):
        return self.choice


def devices(mic=MIC, system=CALL, problems=()):
    sd = FileInputModule({"mic": TONE, "call": TONE * 0.5})
    return lambda: (sd, Finder(mic, system, problems))


@pytest.fixture
def window(qtbot, app):
    qt_app()
    win = MainWindow(app, tray=False)
    qtbot.addWidget(win)
    win.show()
    yield win
    if getattr(win, "welcome", None) is not None:
        win.welcome.probe.stop()


def test_welcome_shows_live_levels_and_the_model_loads_then_never_again(qtbot, window, app):
    assert window.offer_welcome(devices=devices())
    dialog = window.welcome
    assert dialog.model_busy.isVisible()  # a spinner while the model loads off the GUI thread
    qtbot.waitUntil(lambda: dialog.mic.heard and dialog.system.heard, timeout=10_000)
    assert dialog.mic.meter.level > 0 and dialog.system.meter.level > 0
    assert not dialog.audio_note.isVisible()
    qtbot.waitUntil(lambda: dialog.model_ok is not None, timeout=60_000)
    assert dialog.model_ok, dialog.model_status.text()
    assert "tiny.en loads" in dialog.model_status.text()
    assert not dialog.model_busy.isVisible()
    assert "fully usable offline" in " ".join(
        w.text() for w in dialog.findChildren(type(dialog.model_status))
    )

    dialog.start_button.click()
    qtbot.waitUntil(lambda: marker_path(app.settings).exists())
    qtbot.waitUntil(lambda: not dialog.probe.running)
    assert not window.offer_welcome(devices=devices())  # shown once


def test_a_missing_device_is_named_and_the_app_still_works(qtbot, window):
    problem = "No system-audio device found: recording only your mic (me)."
    window.offer_welcome(
        devices=devices(system=None, problems=[problem]), model_loader=lambda s: s.transcribe.model
    )
    dialog = window.welcome
    qtbot.waitUntil(dialog.audio_note.isVisible)
    note = dialog.audio_note.text()
    assert note.startswith("No system audio found.") and "still works" in note
    assert problem in note
    assert dialog.system.status.text() == "Not found."
    qtbot.waitUntil(lambda: dialog.mic.heard, timeout=10_000)


def test_no_devices_at_all_and_a_missing_model_are_explained(qtbot, window, app):
    app.settings.transcribe.model = "no-such-model"
    window.offer_welcome(devices=devices(mic=None, system=None, problems=["No microphone found."]))
    dialog = window.welcome
    qtbot.waitUntil(dialog.audio_note.isVisible)
    assert "No microphone and system audio found" in dialog.audio_note.text()
    assert "take notes and import recordings" in dialog.audio_note.text()
    qtbot.waitUntil(lambda: dialog.model_ok is not None, timeout=20_000)
    assert dialog.model_ok is False
    assert "'no-such-model' not found" in dialog.model_status.text()


def test_open_settings_from_the_welcome(qtbot, window):
    window.offer_welcome(devices=devices(), model_loader=lambda s: s.transcribe.model)
    window.welcome.settings_button.click()
    qtbot.waitUntil(lambda: getattr(window, "settings_dialog", None) is not None)
    assert window.settings_dialog.isVisible()
