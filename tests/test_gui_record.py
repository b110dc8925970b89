"""Recording from the window: real capture code fed by files, real Whisper, real SQLite."""

from __future__ import annotations

import pytest
from file_sessions import file_session  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from speech import say  # noqa: E402

from notes_app.gui.app import qt_app  # noqa: E402
from notes_app.gui.main_window import MainWindow  # noqa: E402
from notes_app.session import MeetingSession  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture
def speech(tmp_path):
    return {
        "mic": say("Can we move the launch to March?", tmp_path / "me.wav"),
        "call": say("Yes, the launch moves to the twelfth of March.", tmp_path / "them.wav"),
    }


def file_session_factory(speech, engine):
    """Sessions whose 'devices' play the speech files through the real capture code."""

    def factory(settings, bridge):
        return file_session(settings, bridge, engine, speech)

    return factory


def test_record_shows_lines_live_and_keeps_notes(qtbot, app, speech, whisper_engine):
    qt_app()
    app.settings.enhance.auto_after_stop = False
    win = MainWindow(
        app, autosave_ms=50, session_factory=file_session_factory(speech, whisper_engine)
    )
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow)  # shortcuts go to the active window
    qtbot.keyClick(win, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert win.recorder.busy
    qtbot.waitUntil(lambda: win.recorder.recording or bool(win.error_boxes), timeout=20_000)
    assert not win.error_boxes, win.error_boxes[0].text()
    mid = win.recorder.meeting_id
    assert win.record_bar.button.text().endswith("Stop")
    assert app.repo.get_meeting(mid).status == "recording"

    qtbot.keyClicks(win.view.editor, "- launch date?")
    panel = win.view.transcript_panel.view
    qtbot.waitUntil(lambda: panel.segment_count() >= 2, timeout=120_000)
    assert "march" in panel.toPlainText().lower()
    assert "You" in panel.toPlainText() and "Them" in panel.toPlainText()

    win.record_bar.button.click()
    qtbot.waitUntil(lambda: not win.recorder.recording and not win.recorder.busy, timeout=120_000)
    meeting = app.repo.get_meeting(mid)
    assert meeting.status == "done"
    assert meeting.notes == "- launch date?"
    assert len(app.repo.get_transcript(mid).segments) >= 2
    assert not win.error_boxes


class GatedSession(MeetingSession):
    """A real session whose stop waits for the test, so it can type while the stop runs."""

    def __init__(self, *args, stop_gate, **kwargs):
        super().__init__(*args, **kwargs)
        self.stop_gate = stop_gate

    def stop(self, on_drain=None):
        self.stop_gate.wait(30)
        return super().stop(on_drain)


def type_line(qtbot, editor, text: str) -> None:
    qtbot.keyClicks(editor, text)
    # Shift+Enter: a plain line break (Enter would continue the list; each line has its marker).
    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)


def gated_session_factory(speech, engine, start_gate, stop_gate):
    """Like file_session_factory, but starting and stopping wait for the test's go."""

    def factory(settings, bridge):
        start_gate.wait(30)
        return file_session(
            settings, bridge, engine, speech, session_cls=GatedSession, stop_gate=stop_gate
        )

    return factory


def test_what_was_typed_before_start_and_during_start_and_stop_is_kept(
    qtbot, app, speech, whisper_engine, request
):
    import threading

    qt_app()
    app.settings.enhance.auto_after_stop = False
    app.settings.detect.enabled = False
    start_gate, stop_gate = threading.Event(), threading.Event()
    request.addfinalizer(stop_gate.set)  # a failing test must not leave a session waiting
    request.addfinalizer(start_gate.set)
    win = MainWindow(
        app,
        autosave_ms=60_000,  # nothing is saved by the timer: only what the window flushes
        tray=False,
        session_factory=gated_session_factory(speech, whisper_engine, start_gate, stop_gate),
    )
    qtbot.addWidget(win)
    win.ask_stop_recording = lambda: True  # closing at the end of a failed test: no question
    win.show()
    win.new_meeting()
    qtbot.waitUntil(lambda: win.current_id() is not None)
    view = win.view
    view.title.selectAll()
    qtbot.keyClicks(view.title, "Budget review")
    qtbot.keyClicks(view.attendees, "Ana, Ben")
    type_line(qtbot, view.editor, "- agenda: budget")
    assert win.autosaver.has_pending  # typed just now: not on disk yet

    win.record_bar.button.click()
    assert win.recorder.busy
    type_line(qtbot, view.editor, "- typed while starting")
    qtbot.keyClicks(view.attendees, ", Cy")
    start_gate.set()
    qtbot.waitUntil(lambda: win.recorder.recording or bool(win.error_boxes), timeout=20_000)
    assert not win.error_boxes, win.error_boxes[0].text()
    mid = win.recorder.meeting_id
    assert win.current_id() == mid
    assert view.title.text() == "Budget review"
    assert view.attendees.text() == "Ana, Ben, Cy"
    assert view.editor.toPlainText() == "- agenda: budget\n- typed while starting\n"

    type_line(qtbot, view.editor, "- during the call")
    panel = view.transcript_panel.view
    qtbot.waitUntil(lambda: panel.segment_count() >= 1, timeout=120_000)
    win.record_bar.button.click()
    assert win.recorder.busy
    type_line(qtbot, view.editor, "- while it finishes")
    view.title.selectAll()
    qtbot.keyClicks(view.title, "Budget review Q3")
    stop_gate.set()
    qtbot.waitUntil(lambda: not win.recorder.recording and not win.recorder.busy, timeout=120_000)
    assert not win.error_boxes, win.error_boxes[0].text()
    typed = "- agenda: budget\n- typed while starting\n- during the call\n- while it finishes\n"
    assert view.editor.toPlainText() == typed
    assert view.title.text() == "Budget review Q3"

    win.close()  # flushes what is still waiting to be saved
    meetings = app.repo.list_meetings()
    assert [m.id for m in meetings] == [mid]  # one meeting: the one typed into, now recorded
    meeting = app.repo.get_meeting(mid)
    assert meeting.status == "done"
    assert meeting.title == "Budget review Q3"
    assert list(meeting.attendees) == ["Ana", "Ben", "Cy"]
    assert meeting.notes == typed
    assert meeting.agenda == "- agenda: budget\n"
    assert len(app.repo.get_transcript(mid).segments) >= 1


def test_the_record_bar_says_when_the_transcript_is_catching_up(qtbot, app, speech, whisper_engine):
    """A real session played at 8× real time with a 1 s threshold falls behind at once: the
    bar says "catching up" while the transcriber decodes greedily, and not once it caught up."""
    from notes_app.transcribe.live import LiveDecoding

    qt_app()
    app.settings.enhance.auto_after_stop = False
    app.settings.detect.enabled = False

    def factory(settings, bridge):
        hurried = LiveDecoding(catch_up_after=1.0)
        return file_session(settings, bridge, whisper_engine, speech, speed=8.0, decoding=hurried)

    win = MainWindow(app, tray=False, session_factory=factory)
    qtbot.addWidget(win)
    win.show()
    bar = win.record_bar
    shown: list[tuple[bool, str, str]] = []
    # Connected after the window's own slot, so it sees the bar as the user does.
    win.recording.bridge.catching_up.connect(
        lambda behind: shown.append((behind, bar.behind.text(), bar.behind.toolTip()))
    )
    win.record_bar.button.click()
    qtbot.waitUntil(lambda: win.recorder.recording or bool(win.error_boxes), timeout=20_000)
    assert not win.error_boxes, win.error_boxes[0].text()
    mid = win.recorder.meeting_id
    qtbot.waitUntil(lambda: any(not behind for behind, _, _ in shown), timeout=120_000)
    behind, text, tip = shown[0]
    assert behind and text.startswith("transcript catching up")
    assert "transcribed again" in tip
    assert shown[-1][0] is False and "catching up" not in bar.behind.text()
    assert bar.behind.toolTip() == ""
    win.record_bar.button.click()
    qtbot.waitUntil(lambda: not win.recorder.recording and not win.recorder.busy, timeout=120_000)
    assert bar.behind.text() == "" and not bar.catching_up
    assert len(app.repo.get_transcript(mid).segments) >= 1  # greedy text is still text


def test_the_final_pass_can_be_skipped_and_the_live_transcript_stays(
    qtbot, app, speech, whisper_engine, monkeypatch, request
):
    import threading

    from notes_app.app import App

    qt_app()
    app.settings.enhance.auto_after_stop = False
    app.settings.detect.enabled = False
    # The final pass waits until the test has pressed Skip (the project's own seam: the real
    # pass runs after, and must see the cancel at its first check).
    skipped = threading.Event()
    request.addfinalizer(skipped.set)
    real = App.finalize_recording

    def gated(self, meeting_id, **kwargs):
        skipped.wait(30)
        return real(self, meeting_id, **kwargs)

    monkeypatch.setattr(App, "finalize_recording", gated)

    def factory(settings, bridge):  # the recording's audio is kept, so there is a final pass
        return file_session(settings, bridge, whisper_engine, speech, keep_audio=True)

    win = MainWindow(app, autosave_ms=50, tray=False, session_factory=factory)
    qtbot.addWidget(win)
    win.show()
    bar = win.record_bar
    bar.button.click()
    qtbot.waitUntil(lambda: win.recorder.recording or bool(win.error_boxes), timeout=20_000)
    assert not win.error_boxes, win.error_boxes[0].text()
    mid = win.recorder.meeting_id
    panel = win.view.transcript_panel.view
    qtbot.waitUntil(lambda: panel.segment_count() >= 2, timeout=120_000)
    bar.button.click()
    qtbot.waitUntil(lambda: bar.skip.isVisible(), timeout=60_000)
    assert bar.button.text().startswith("Final pass") and not bar.button.isEnabled()
    live = [s.text for s in app.repo.get_transcript(mid).segments]
    bar.skip.click()
    skipped.set()
    qtbot.waitUntil(lambda: bar.button.isEnabled(), timeout=60_000)
    assert not bar.skip.isVisible()
    assert not win.error_boxes
    assert [s.text for s in app.repo.get_transcript(mid).segments] == live
    assert "skipped" in win.view.notice.text().lower()
