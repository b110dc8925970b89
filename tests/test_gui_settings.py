"""Settings: a live level test through the real capture code; Whisper models and a download."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

import test_gui  # noqa: E402
import test_gui_welcome  # noqa: E402

from notes_app.gui.settings_dialog import SettingsDialog  # noqa: E402

window = test_gui.window
devices = test_gui_welcome.devices  # 'devices' playing tones through the real capture code


@pytest.fixture
def dialog(qtbot, window):
    def make(**kw):
        d = SettingsDialog(window.settings, window, **kw)
        qtbot.addWidget(d)
        d.show()
        return d

    made = []
    yield lambda **kw: made.append(make(**kw)) or made[-1]
    for d in made:
        d.probe.stop()


def test_level_test_moves_both_meters_and_stops(qtbot, dialog):
    d = dialog(devices=devices())
    assert d.mic_meter.level == 0 and d.system_meter.level == 0
    d.level_button.click()
    qtbot.waitUntil(lambda: d.mic_meter.level > 0.3 and d.system_meter.level > 0.3, timeout=10_000)
    assert d.level_status.text().startswith("Listening")
    assert d.level_button.text() == "Stop test"
    d.level_button.click()
    assert not d.probe.running and d.level_button.text() == "Test levels"
    assert d.mic_meter.level == 0


def test_level_test_names_a_missing_side(qtbot, dialog):
    problem = "No system-audio device found: recording only your mic (me)."
    d = dialog(devices=devices(system=None, problems=[problem]))
    d.level_button.click()
    qtbot.waitUntil(lambda: d.level_status.text().startswith("No system audio"))
    assert problem in d.level_status.text()
    qtbot.waitUntil(lambda: d.mic_meter.level > 0.3, timeout=10_000)
    assert d.system_meter.level == 0


def test_installed_models_are_listed_and_a_failed_download_shows_one_dialog(
    qtbot, window, dialog, monkeypatch
):
    import huggingface_hub.constants

    # No internet here (and none wanted in tests): the hub refuses at once, as offline.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    d = dialog()
    models = [d.model.itemText(i) for i in range(d.model.count())]
    assert "tiny.en" in models  # the bundled model
    d.download_choice.setCurrentIndex(d.download_choice.findData("base.en"))
    d.download_button.click()
    assert not d.download_button.isEnabled() and d.download_progress.isVisible()
    qtbot.waitUntil(lambda: len(window.error_boxes) == 1, timeout=30_000)
    assert "Could not download Whisper model base.en" in window.error_boxes[0].text()
    assert d.download_button.isEnabled() and not d.download_progress.isVisible()
    assert d.model.currentText() == window.settings.transcribe.model  # unchanged
    models_dir = window.settings.models_dir
    assert not models_dir.exists() or not any(models_dir.iterdir())  # nothing half-made
    assert d.isVisible()  # the dialog carries on


def test_a_key_kept_in_the_settings_file_is_warned_about(qtbot, window, dialog):
    from notes_app import config

    home = window.settings.home
    # No keyring here (NOTES_APP_NO_KEYRING): the key goes to settings.toml, as on a desktop
    # without one.
    config.save_setting(home, "llm.api_key", "sk-test-0123456789")
    warned = dialog()
    assert warned.key_warning.isVisible()
    text = warned.key_warning.text()
    assert "plain text" in text and str(config.Settings(home=home).settings_path) in text
    assert "sk-test" not in text

    config.save_setting(home, "llm.api_key", "")
    assert not dialog().key_warning.isVisible()
