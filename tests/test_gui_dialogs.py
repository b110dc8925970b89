"""Dialogs fit a 1024×700 screen and say everything: the body scrolls, errors are shown in full
in the warning colour under the row they are about; Settings has the share server's fields."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

import test_gui  # noqa: E402
import test_gui_welcome  # noqa: E402
import test_share_helpers  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QLabel  # noqa: E402

from notes_app import config  # noqa: E402
from notes_app.errors import NotesAppError  # noqa: E402
from notes_app.gui import theme  # noqa: E402
from notes_app.gui.dialog_fit import SMALLEST_SCREEN, is_clipped  # noqa: E402
from notes_app.gui.settings_dialog import SettingsDialog  # noqa: E402

window = test_gui.window
devices = test_gui_welcome.devices  # inputs playing tones through the real capture code
share_server = test_share_helpers.share_server  # uvicorn on 127.0.0.1

LONG_ERROR = (
    "No Whisper model called 'medium.en' is installed here. Download it in Settings (Get a "
    "model), or set transcribe.model to one that is: tiny.en (bundled with the app), base.en. "
    "The app still takes notes and imports transcripts meanwhile."
)


@pytest.fixture(autouse=True)
def styled():
    """The app's style sheet, as the real app has it (pytest-qt makes a plain QApplication)."""
    from notes_app.gui.app import qt_app

    app = qt_app()
    sheet, palette = app.styleSheet(), app.palette()
    theme.apply(app, dark=False)
    yield
    app.setStyleSheet(sheet)  # as it was found: other tests measure plain widgets
    app.setPalette(palette)


@pytest.fixture
def settings_dialog(qtbot, window):
    made = []

    def make(**kw):
        d = SettingsDialog(window.settings, window, **kw)
        qtbot.addWidget(d)
        d.show()
        qtbot.waitExposed(d)
        made.append(d)
        return d

    yield make
    for d in made:
        d.probe.stop()


def fits_the_screen(dialog) -> None:
    room = dialog.screen().availableGeometry()
    assert dialog.width() <= min(SMALLEST_SCREEN.width(), room.width())
    assert dialog.height() <= min(SMALLEST_SCREEN.height(), room.height())
    assert dialog.width() >= dialog.scroll.widget().minimumSizeHint().width()


def clipped_labels(dialog) -> list[str]:
    return [label.text() for label in dialog.findChildren(QLabel) if is_clipped(label)]


def shown_in_full(qtbot, dialog, label: QLabel) -> None:
    """The label is visible (scrolled to), as tall as its wrapped text needs, in the dialog."""
    qtbot.waitUntil(lambda: not is_clipped(label))
    dialog.scroll.ensureWidgetVisible(label)
    top = label.mapTo(dialog.scroll.viewport(), label.rect().topLeft()).y()
    assert 0 <= top and top + label.height() <= dialog.scroll.viewport().height()


def warning_colour(label: QLabel) -> str:
    return label.palette().color(label.foregroundRole()).name()


def test_settings_fits_the_screen_and_scrolls_to_every_row(qtbot, settings_dialog):
    d = settings_dialog(devices=devices())
    fits_the_screen(d)
    body = d.scroll.widget()
    # The rows are taller than the room: the body scrolls, and the last row can be reached.
    assert body.height() > d.scroll.viewport().height()
    assert d.scroll.verticalScrollBar().maximum() > 0
    d.scroll.ensureWidgetVisible(d.detect)
    bottom = d.detect.mapTo(d.scroll.viewport(), d.detect.rect().bottomLeft()).y()
    assert bottom <= d.scroll.viewport().height()
    assert not clipped_labels(d)
    assert d.save_button.isVisible()  # the buttons stay outside the scrolling part


def test_a_failed_connection_test_is_shown_in_full_in_the_warning_colour(qtbot, settings_dialog):
    d = settings_dialog(devices=devices())
    d.base_url.setText("http://127.0.0.1:9/v1")  # nothing listens there
    d.llm_model.setText("some-model")
    d.test_button.click()
    qtbot.waitUntil(lambda: d.test_button.isEnabled() and d.test_result.text() != "Testing…")
    text = d.test_result.text()
    assert "127.0.0.1:9" in text and text.endswith(".")  # the whole sentence, as raised
    assert d.test_result.objectName() == "Warning"
    assert warning_colour(d.test_result) == theme.colors().warn
    shown_in_full(qtbot, d, d.test_result)
    # Where the problem is: right under the button that tested it.
    below = d.test_result.mapTo(d, d.test_result.rect().topLeft()).y()
    assert below > d.test_button.mapTo(d, d.test_button.rect().bottomLeft()).y()
    fits_the_screen(d)


def test_a_level_test_error_is_shown_in_full_under_the_meters(qtbot, settings_dialog):
    problems = [
        "No microphone found: the sound server lists no input device. Plug one in or choose it "
        "in the system's sound settings.",
        "No system-audio device found: the default output has no monitor source, so the other "
        "side of a call cannot be recorded.",
    ]
    d = settings_dialog(devices=devices(mic=None, system=None, problems=problems))
    d.level_button.click()
    qtbot.waitUntil(lambda: problems[1] in d.level_status.text())
    assert problems[0] in d.level_status.text()
    assert d.level_status.objectName() == "Warning"
    assert warning_colour(d.level_status) == theme.colors().warn
    shown_in_full(qtbot, d, d.level_status)
    below = d.level_status.mapTo(d, d.level_status.rect().topLeft()).y()
    assert below > d.level_button.mapTo(d, d.level_button.rect().bottomLeft()).y()


def test_the_share_server_is_set_and_tested_in_settings(qtbot, settings_dialog, share_server, app):
    d = settings_dialog(devices=devices())
    d.share_url.setText(share_server.url)
    d.share_token.setText("not-the-token")
    d.share_test_button.click()
    qtbot.waitUntil(
        lambda: d.share_test_button.isEnabled() and "Testing" not in d.share_result.text()
    )
    assert "refused the token" in d.share_result.text()
    assert d.share_result.objectName() == "Warning"
    shown_in_full(qtbot, d, d.share_result)

    d.share_token.setText(share_server.token)
    d.share_test_button.click()
    qtbot.waitUntil(lambda: d.share_result.text().startswith("Connected"))
    assert d.share_result.objectName() == "Muted"
    assert d.share_token.echoMode() == d.share_token.EchoMode.Password

    d.save_button.click()
    qtbot.waitUntil(lambda: d.result() == SettingsDialog.DialogCode.Accepted)
    assert app.settings.share.server_url == share_server.url  # the running app uses it now
    stored = config.load_settings(app.settings.home)
    assert (stored.share.server_url, stored.share.token) == (share_server.url, share_server.token)


def test_testing_the_share_server_without_an_address_says_what_to_enter(qtbot, settings_dialog):
    d = settings_dialog(devices=devices())
    d.share_url.setText("")
    d.share_test_button.click()
    qtbot.waitUntil(lambda: d.share_result.objectName() == "Warning")
    assert "address" in d.share_result.text() and "only here" in d.share_result.text()


def test_the_welcome_shows_its_last_paragraph_after_a_failed_model_check(qtbot, window):
    problem = (
        "No system-audio device found: the sound server has no monitor of the default output. "
        "Recording only your mic."
    )

    def no_model(_settings):
        raise NotesAppError(LONG_ERROR)

    window.offer_welcome(
        devices=devices(system=None, problems=[problem]),
        model_loader=no_model,
        server_finder=lambda: [],
    )
    d = window.welcome
    try:
        qtbot.waitExposed(d)
        qtbot.waitUntil(lambda: d.model_ok is False and d.audio_note.isVisible(), timeout=10_000)
        assert LONG_ERROR in d.model_status.text()
        assert d.model_status.objectName() == "Warning"
        fits_the_screen(d)
        qtbot.waitUntil(lambda: not clipped_labels(d))
        last = [w for w in d.scroll.widget().findChildren(QLabel) if "fully usable" in w.text()]
        assert last
        shown_in_full(qtbot, d, last[0])
        assert d.start_button.isVisible()
    finally:
        d.probe.stop()


# --- what the window says ---------------------------------------------------------------------


def test_no_sound_server_is_said_in_plain_words(qtbot, window, monkeypatch, tmp_path):
    """The real device code against a sound server that is not there (pactl's own refusal)."""
    from notes_app.gui.level_test import real_devices

    monkeypatch.setenv("PULSE_SERVER", f"unix:{tmp_path}/no-such-socket")
    window.offer_welcome(devices=real_devices, model_loader=lambda s: s.transcribe.model)
    d = window.welcome
    try:
        qtbot.waitUntil(d.audio_note.isVisible, timeout=20_000)
        note = d.audio_note.text()
        assert "No sound server is running" in note and "then try again" in note
        assert "pa_context" not in note and "Connection refused" not in note
        qtbot.waitUntil(lambda: not is_clipped(d.audio_note))
    finally:
        d.probe.stop()


def test_the_template_picker_shows_titles_and_says_what_a_template_changes(qtbot, window, app):
    from notes_app.gui.template_combo import WHAT_IT_CHANGES

    combo = window.view.template
    titles = [combo.itemText(i) for i in range(combo.count())]
    names = [combo.itemData(i) for i in range(combo.count())]
    assert "General meeting" in titles and "Customer call" in titles
    assert "general" not in titles and "sales-call" not in titles
    assert combo.currentText() == "General meeting" and combo.current_name() == "general"
    assert names == [t.name for t in app.templates()]
    assert combo.toolTip() == WHAT_IT_CHANGES and "language model" in combo.toolTip()
    tip = combo.itemData(titles.index("Customer call"), Qt.ItemDataRole.ToolTipRole)
    assert "Needs and pain points" in tip  # the sections it asks for


def test_enhancing_a_meeting_without_a_transcript_says_so(qtbot, window, app):
    from notes_app.gui.enhancing import NO_TRANSCRIPT

    mid = app.repo.create_meeting("Planning", notes="- budget\n- hiring")
    window.refresh_meetings()
    window.open_meeting(mid)
    window.view.enhance_button.click()
    qtbot.waitUntil(lambda: bool(window.error_boxes))
    assert window.error_boxes[0].text() == NO_TRANSCRIPT
    assert "no transcript" in NO_TRANSCRIPT
    assert window.enhancing.meeting_id is None and window.view.enhance_button.isEnabled()
    assert app.repo.get_enhanced(mid) is None  # no notes made of nothing
    assert window.view.editor.toPlainText() == "- budget\n- hiring"


def test_a_template_chosen_while_offline_is_said_to_need_a_model(qtbot, window, app):
    from notes_app.domain import Segment
    from notes_app.gui.template_combo import OFFLINE_NOTICE

    segments = [Segment(0, 0.0, 4.0, "The budget is approved for the year.", "them", 1)]
    mid = app.repo.create_meeting("Budget", notes="- budget", segments=segments)
    window.refresh_meetings()
    window.open_meeting(mid)
    assert window.view.template.select("standup")
    window.view.enhance_button.click()
    qtbot.waitUntil(lambda: app.repo.get_enhanced(mid) is not None, timeout=30_000)
    assert app.repo.get_enhanced(mid).mode == "offline"
    assert window.view.notice.text() == OFFLINE_NOTICE


def test_a_transcription_server_is_set_in_settings(qtbot, settings_dialog, app):
    d = settings_dialog(devices=devices())
    assert not d.remote.isChecked() and not d.remote_url.isEnabled()
    d.remote.setChecked(True)
    assert d.remote_url.isEnabled() and d.remote_key.echoMode() == d.remote_key.EchoMode.Password
    d.remote_url.setText("http://127.0.0.1:8000/v1")
    d.remote_model.setText("Systran/faster-whisper-small")
    d.remote_key.setText("sk-test")
    d.save_button.click()
    qtbot.waitUntil(lambda: d.result() == SettingsDialog.DialogCode.Accepted)
    t = app.settings.transcribe  # the running app uses it now
    assert (t.backend, t.base_url, t.remote_model) == (
        "openai",
        "http://127.0.0.1:8000/v1",
        "Systran/faster-whisper-small",
    )
    stored = config.load_settings(app.settings.home).transcribe
    assert (stored.backend, stored.base_url, stored.api_key) == (
        "openai",
        "http://127.0.0.1:8000/v1",
        "sk-test",
    )
