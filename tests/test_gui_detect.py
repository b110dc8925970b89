"""Meeting detection in the window: the real detector fed by a fake mic-user source."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from notes_app.audio.detect import MeetingDetector, MicUser  # noqa: E402
from notes_app.errors import AudioError  # noqa: E402
from notes_app.gui.app import qt_app  # noqa: E402
from notes_app.gui.main_window import MainWindow  # noqa: E402
from notes_app.store.repo import Repo  # noqa: E402


class MicUsers:
    """Our own seam: which apps hold the microphone right now."""

    def __init__(self):
        self.users: list[MicUser] = []
        self.error: Exception | None = None

    def __call__(self):
        if self.error is not None:
            raise self.error
        return list(self.users)


class FakeSession:
    """Stands in for MeetingSession (no audio here): stores a meeting like a recording does."""

    channels = [0, 1]
    seconds = 0.0

    def __init__(self, settings):
        self.repo = Repo.open(settings.db_path)
        self.meeting_id = None

    def start(self, title, notes, meeting_id=None):
        if meeting_id is None:
            self.meeting_id = self.repo.create_meeting(title, notes=notes, status="recording")
        else:
            self.repo.update_meeting(meeting_id, status="recording")
            self.meeting_id = meeting_id

    def stop(self, on_drain=None):
        self.repo.update_meeting(self.meeting_id, status="done")
        meeting = self.repo.get_meeting(self.meeting_id)
        self.repo.close()
        return meeting


@pytest.fixture
def source():
    return MicUsers()


def detecting_window(app, source) -> MainWindow:
    """A window whose detector polls ``source`` every 20 ms, recording into FakeSessions."""
    return MainWindow(
        app,
        tray=False,
        session_factory=lambda settings, bridge: FakeSession(settings),
        detector_factory=lambda: MeetingDetector(source, min_hold=0.0, own_pid=-1),
        detect_interval_ms=20,
    )


@pytest.fixture
def window(qtbot, app, source):
    qt_app()
    app.settings.enhance.auto_after_stop = False
    app.settings.detect.enabled = True
    win = detecting_window(app, source)
    qtbot.addWidget(win)
    win.show()
    return win


def test_a_call_prompts_and_nothing_records_until_the_user_says_yes(qtbot, window, app, source):
    assert window.detection.active
    source.users = [MicUser("Zoom", "zoom", 4242)]
    qtbot.waitUntil(lambda: window.detecting.prompt is not None)
    assert window.detecting.prompt.text() == "Zoom is using your microphone — take notes?"
    assert not window.detecting.prompt.isModal()  # the window stays usable behind it
    assert not window.recorder.recording and not window.recorder.busy
    assert app.repo.list_meetings() == []

    window.detecting.prompt.no_button.click()
    qtbot.waitUntil(lambda: window.detecting.prompt is None)
    assert not window.recorder.recording and app.repo.list_meetings() == []


def test_yes_records_and_the_end_of_the_call_asks_to_stop(qtbot, window, app, source):
    source.users = [MicUser("Microsoft Teams", "teams", 4242)]
    qtbot.waitUntil(lambda: window.detecting.prompt is not None)
    window.detecting.prompt.yes_button.click()
    qtbot.waitUntil(lambda: window.recorder.recording)
    mid = window.recorder.meeting_id
    assert app.repo.get_meeting(mid).status == "recording"

    source.users = []  # the call app let go of the microphone
    qtbot.waitUntil(
        lambda: (
            window.detecting.prompt is not None
            and "Stop recording?" in window.detecting.prompt.text()
        )
    )
    assert "Microsoft Teams" in window.detecting.prompt.text()
    assert window.recorder.recording  # still recording until the user answers
    window.detecting.prompt.yes_button.click()
    qtbot.waitUntil(lambda: not window.recorder.recording and not window.recorder.busy)
    assert app.repo.get_meeting(mid).status == "done"


def test_detection_off_in_settings_means_no_polling(qtbot, app, source):
    qt_app()
    app.settings.detect.enabled = False
    win = detecting_window(app, source)
    qtbot.addWidget(win)
    assert not win.detection.active
    app.settings.detect.enabled = True
    win.detecting.update()
    assert win.detection.active
    win.close()


def test_a_detector_that_cannot_reach_the_sound_server_pauses_quietly(qtbot, window, source):
    source.error = AudioError("The sound server is not reachable.")
    qtbot.waitUntil(lambda: window.detection.error is not None)
    assert window.detecting.prompt is None and not window.error_boxes
    window.open_settings()
    assert "Detection is paused: The sound server is not reachable." in (
        window.settings_dialog.detect_error.text()
    )
    source.error = None
    window.detection.poll()
    qtbot.waitUntil(lambda: window.detection.error is None)
