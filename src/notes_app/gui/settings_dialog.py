"""Settings: devices, transcription, the LLM endpoint, sharing, detection, the data folder.

Every change is saved with ``config.save_setting`` (secrets go to the OS keyring), so settings
survive a restart and the command line sees the same values. Listing devices, testing the
endpoint or the share server, finding a model server on this computer, pulling a model into
Ollama and saving (the keyring may be slow) run off the GUI thread. The rows scroll when the
screen is short; a test's result or error is shown in full under the row it is about, errors in
the warning colour.
"""

from __future__ import annotations

import copy
import importlib
import logging
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from notes_app import config
from notes_app.config import Settings
from notes_app.domain import CHANNEL_THEM
from notes_app.errors import NotesAppError
from notes_app.gui import theme
from notes_app.gui.dialog_fit import fit, fit_soon, scrolling_body, show_status
from notes_app.gui.level_test import (
    DeviceSource,
    LevelProbe,
    ProbeResult,
    missing_sides,
    real_devices,
)
from notes_app.gui.record_bar import LevelMeter, rms_to_db
from notes_app.gui.workers import start_job

LANGUAGES = ["en", "auto", "de", "es", "fr", "it", "nl", "pt", "ja", "zh"]
# Models offered for download: (name, label). Bigger is more accurate and slower.
DOWNLOADS = [
    ("base.en", "base.en — English (~140 MB)"),
    ("base", "base — any language (~140 MB)"),
    ("small.en", "small.en — English, better (~460 MB)"),
    ("small", "small — any language (~460 MB)"),
]
DEFAULT, OFF = "", "none"


def _has(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def installed_models(settings: Settings) -> list[str]:
    from notes_app.transcribe.models import default_project_dir, list_installed

    found = list_installed(project_dir=default_project_dir(), home_models_dir=settings.models_dir)
    return list(dict.fromkeys(m.name for m in found))


def list_devices() -> list:
    import sounddevice

    from notes_app.audio.devices import finder_for_platform

    return finder_for_platform(sounddevice).list_inputs()


def check_connection(llm_settings) -> str:
    from notes_app.enhance.llm import LLMClient

    models = LLMClient.from_settings(llm_settings).list_models()
    return f"Connected. The endpoint offers {len(models)} model(s)."


def check_share_server(server_url: str, token: str) -> str:
    """Ask the share server for the links published with ``token``: reachable and accepted."""
    from notes_app.errors import ShareError
    from notes_app.share.client import ShareClient

    if not server_url:
        raise ShareError(
            "Enter the share server's address first, e.g. https://notes.example.com. Without "
            "one, links are served from this computer and work only here."
        )
    if not token:
        raise ShareError(
            "Enter the token the share server's admin gave you (they create one with "
            "`notes-app serve --create-token NAME`)."
        )
    with ShareClient(server_url, token, timeout=10.0) as client:
        shares = client.list()
    n = len(shares)
    return (
        f"Connected. The server accepts the token ({n} link{'s' if n != 1 else ''} "
        "published with it)."
    )


def find_local() -> list:
    """Model servers running on this computer (``local_llm.LocalServer``), Ollama first."""
    from notes_app.enhance.local_llm import find_local_servers

    return find_local_servers()


def pull(server, name: str, progress) -> str:
    from notes_app.enhance.local_llm import pull_model

    return pull_model(server, name, on_progress=progress)


class ModelCombo(QComboBox):
    """An editable list of models; reads and writes like a line edit."""

    def __init__(self, text: str = ""):
        super().__init__()
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setText(text)

    def text(self) -> str:
        return self.currentText()

    def setText(self, text: str) -> None:  # noqa: N802 - QLineEdit's name, on purpose
        self.setEditText(text)

    def set_models(self, models, current: str) -> None:
        self.clear()
        self.addItems(list(models))
        self.setText(current)

    def setPlaceholderText(self, text: str) -> None:  # noqa: N802
        if self.lineEdit() is not None:
            self.lineEdit().setPlaceholderText(text)


def download(settings: Settings, name: str, progress) -> str:
    from notes_app.transcribe.models import download_model

    download_model(name, settings.models_dir, on_progress=lambda d, t: progress((d, t)))
    return name


def key_warning(settings: Settings) -> str:
    """A warning when the LLM API key is kept in plain text in the settings file (there was
    no keyring to take it when it was saved); "" when it is not."""
    try:
        path = config.secret_in_file(settings.home, "llm.api_key")
    except NotesAppError:  # the file was read when the app started; said there if broken
        logging.getLogger(__name__).warning("Settings file not read again", exc_info=True)
        return ""
    if path is None:
        return ""
    return (
        f"The API key is stored in plain text in {path} (only you can read it), because no "
        "system keyring was available when it was saved. Install one (GNOME Keyring or "
        "KWallet) and set the key again with `notes-app config set llm.api_key KEY` to move "
        "it there, or clear it here and set OPENAI_API_KEY in the environment instead."
    )


def status_label() -> QLabel:
    """A result line under a row: wrapped, selectable (to copy an error), hidden until used."""
    label = QLabel("")
    label.setObjectName("Muted")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setVisible(False)
    return label


class SettingsDialog(QDialog):
    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        devices: DeviceSource = real_devices,
    ):
        super().__init__(parent)
        self.settings = settings
        self.devices = devices
        self.setWindowTitle("Settings")
        self.setMinimumWidth(600)
        self.errors: list[NotesAppError] = []
        body = QWidget()
        form = QFormLayout(body)
        form.setContentsMargins(0, 0, 8, 0)  # room for the scroll bar
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(10)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self._audio_rows(form)
        self._transcribe_rows(form)
        self._llm_rows(form)
        self._share_rows(form)
        self._calendar_rows(form)
        self._other_rows(form)
        self.scroll = scrolling_body(body)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("Primary")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.addWidget(self.scroll, 1)
        layout.addSpacing(8)
        layout.addWidget(buttons)
        start_job(
            lambda _p: list_devices(),
            on_done=self._fill_devices,
            on_fail=self._devices_failed,
            owner=self,
        )

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        fit(self, self.scroll)  # to its rows, within the screen (and 1024×700): the rest scrolls

    def _status(self, label: QLabel, text: str, *, problem: bool = False) -> None:
        show_status(label, text, problem=problem)
        fit_soon(self, self.scroll)

    # --- rows ---------------------------------------------------------------------------------

    def _section(self, form: QFormLayout, title: str) -> None:
        label = QLabel(title)
        label.setStyleSheet("font-weight: 600; margin-top: 8px;")
        form.addRow(label)

    def _audio_rows(self, form: QFormLayout) -> None:
        self._section(form, "Audio")
        self.mic = QComboBox()
        self.system = QComboBox()
        for combo, current in (
            (self.mic, self.settings.audio.mic_device),
            (self.system, self.settings.audio.system_device),
        ):
            combo.addItem("Default", DEFAULT)
            combo.addItem("Don't record", OFF)
            if current not in (DEFAULT, OFF):
                combo.addItem(current, current)
            combo.setCurrentIndex(max(combo.findData(current), 0))
        form.addRow("Microphone (me)", self.mic)
        form.addRow("System audio (them)", self.system)
        self._level_rows(form)
        self.keep_audio = QCheckBox("Keep the recording after the transcript is made")
        self.keep_audio.setChecked(self.settings.audio.keep_audio)
        form.addRow("", self.keep_audio)

    def _level_rows(self, form: QFormLayout) -> None:
        c = theme.colors()
        self.level_button = QPushButton("Test levels")
        self.level_button.setToolTip("Listen to the chosen devices for a moment")
        self.level_button.clicked.connect(self.toggle_level_test)
        self.mic_meter = LevelMeter(c.me)
        self.system_meter = LevelMeter(c.them)
        self.level_status = QLabel("")
        self.level_status.setObjectName("Muted")
        self.level_status.setWordWrap(True)
        self.level_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        meters = QHBoxLayout()
        meters.addWidget(self.level_button)
        for label, meter in (("Me", self.mic_meter), ("Them", self.system_meter)):
            name = QLabel(label)
            name.setObjectName("Muted")
            meters.addSpacing(8)
            meters.addWidget(name)
            meters.addWidget(meter, 1)
        form.addRow("", meters)
        form.addRow("", self.level_status)
        self.probe = LevelProbe(self.devices, self)
        self.probe.level.connect(self._level)
        self.probe.opened.connect(self._level_opened)
        self.probe.failed.connect(self._level_failed)
        self.mic.currentIndexChanged.connect(lambda _i: self._restart_level_test())
        self.system.currentIndexChanged.connect(lambda _i: self._restart_level_test())

    def toggle_level_test(self) -> None:
        if self.probe.running:
            self.stop_level_test()
        else:
            self._status(self.level_status, "Opening the devices…")
            self.level_button.setText("Stop test")
            self.probe.start(self.mic.currentData(), self.system.currentData())

    def stop_level_test(self) -> None:
        self.probe.stop()
        self.level_button.setText("Test levels")
        self._status(self.level_status, "")
        for meter in (self.mic_meter, self.system_meter):
            meter.set_db(-60.0)
            meter.level = 0.0

    def _restart_level_test(self) -> None:
        if self.probe.running:
            self.probe.start(self.mic.currentData(), self.system.currentData())

    def _level(self, channel: int, rms: float) -> None:
        (self.system_meter if channel == CHANNEL_THEM else self.mic_meter).set_db(rms_to_db(rms))

    def _level_opened(self, result: ProbeResult) -> None:
        missing = missing_sides(result)
        if not missing:
            text = "Listening: speak, and play some audio on this computer."
            self._status(self.level_status, text)
        elif len(missing) == 2:
            text = " ".join(result.problems) or "Nothing to listen to."
            self._status(self.level_status, text, problem=True)
            self.level_button.setText("Test levels")
        else:
            text = f"No {missing[0]}: {' '.join(result.problems)} The other side is listening."
            self._status(self.level_status, text, problem=True)

    def _level_failed(self, err: NotesAppError) -> None:
        self.level_button.setText("Test levels")
        self._status(self.level_status, str(err), problem=True)

    def done(self, result: int) -> None:  # noqa: D401 - Qt override
        self.probe.stop()
        super().done(result)

    def _transcribe_rows(self, form: QFormLayout) -> None:
        self._section(form, "Transcription")
        self.model = QComboBox()
        self.model.setEditable(True)
        try:
            names = installed_models(self.settings)
        except NotesAppError:
            names = []
        for name in dict.fromkeys([self.settings.transcribe.model, *names]):
            self.model.addItem(name)
        self.model.setCurrentText(self.settings.transcribe.model)
        self.model.setToolTip("Installed models; a bigger one is more accurate and slower")
        form.addRow("Whisper model", self.model)
        self.download_choice = QComboBox()
        for name, label in DOWNLOADS:
            self.download_choice.addItem(label, name)
        self.download_button = QPushButton("Download…")
        self.download_button.setToolTip("Fetch another Whisper model (needs the internet once)")
        self.download_button.clicked.connect(self.start_download)
        self.download_progress = QProgressBar()
        self.download_progress.setTextVisible(False)
        self.download_progress.setVisible(False)
        row = QHBoxLayout()
        row.addWidget(self.download_choice, 1)
        row.addWidget(self.download_button)
        form.addRow("Get a model", row)
        form.addRow("", self.download_progress)
        self.language = QComboBox()
        self.language.setEditable(True)
        self.language.addItems(
            list(dict.fromkeys([self.settings.transcribe.language or "auto", *LANGUAGES]))
        )
        form.addRow("Language", self.language)
        self._server_rows(form)

    def _server_rows(self, form: QFormLayout) -> None:
        """Whole recordings (the final pass, imported files) on an OpenAI-compatible
        transcription server; live transcription stays on this computer."""
        t = self.settings.transcribe
        self.remote = QCheckBox("Transcribe recordings on a server after the call")
        self.remote.setToolTip(
            "The final pass and imported files go to an OpenAI-compatible /audio/transcriptions "
            "server (speaches, vLLM, OpenAI); the live transcript stays on this computer, and "
            "if the server fails this computer does it"
        )
        self.remote.setChecked(t.backend == "openai")
        self.remote_url = QLineEdit(t.base_url)
        self.remote_url.setPlaceholderText("e.g. http://gpu-box:8000/v1 (empty: OpenAI)")
        self.remote_model = QLineEdit(t.remote_model)
        self.remote_key = QLineEdit(t.api_key)
        self.remote_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.remote_key.setPlaceholderText("kept in the system keyring")
        form.addRow("", self.remote)
        form.addRow("Server", self.remote_url)
        form.addRow("Server model", self.remote_model)
        form.addRow("Server key", self.remote_key)
        self.remote.toggled.connect(self._remote_toggled)
        self._remote_toggled(self.remote.isChecked())

    def _remote_toggled(self, on: bool) -> None:
        for w in (self.remote_url, self.remote_model, self.remote_key):
            w.setEnabled(on)

    def _llm_rows(self, form: QFormLayout) -> None:
        self._section(form, "Language model (optional — enhancement works offline without it)")
        self.base_url = QLineEdit(self.settings.llm.base_url)
        self.base_url.setPlaceholderText("e.g. http://localhost:11434/v1")
        self.llm_model = ModelCombo(self.settings.llm.model)
        self.llm_model.setPlaceholderText("e.g. llama3.1:8b")
        self.api_key = QLineEdit(self.settings.llm.api_key)
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText("kept in the system keyring")
        form.addRow("Endpoint", self.base_url)
        form.addRow("Model", self.llm_model)
        form.addRow("API key", self.api_key)
        self.key_warning = QLabel(key_warning(self.settings))
        self.key_warning.setObjectName("Warning")
        self.key_warning.setWordWrap(True)
        self.key_warning.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key_warning.setVisible(bool(self.key_warning.text()))
        form.addRow("", self.key_warning)
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_llm)
        self.test_result = status_label()
        self.find_button = QPushButton("Find local server")
        self.find_button.setToolTip(
            "Look for Ollama, llama.cpp, LM Studio or vLLM running on this computer"
        )
        self.find_button.clicked.connect(self.find_local_server)
        row = QHBoxLayout()
        row.addWidget(self.test_button)
        row.addWidget(self.find_button)
        row.addStretch(1)
        self.test_button.setVisible(_has("notes_app.enhance.llm"))
        form.addRow("", row)
        form.addRow("", self.test_result)  # its own row: a long error is shown in full
        self.found_servers: list = []
        self.pull_button = QPushButton("")
        self.pull_button.clicked.connect(self.pull_recommended)
        self.pull_button.setVisible(False)
        self.pull_progress = QProgressBar()
        self.pull_progress.setTextVisible(False)
        self.pull_progress.setVisible(False)
        pull_row = QHBoxLayout()
        pull_row.addWidget(self.pull_button)
        pull_row.addWidget(self.pull_progress, 1)
        form.addRow("", pull_row)

    def _share_rows(self, form: QFormLayout) -> None:
        self._section(form, "Sharing (optional — without a server, links work on this computer)")
        self.share_url = QLineEdit(self.settings.share.server_url)
        self.share_url.setPlaceholderText("e.g. https://notes.example.com")
        self.share_url.setToolTip("The share server that serves your links to other people")
        self.share_token = QLineEdit(self.settings.share.token)
        self.share_token.setEchoMode(QLineEdit.EchoMode.Password)
        self.share_token.setPlaceholderText("from the server's admin; kept in the system keyring")
        form.addRow("Share server", self.share_url)
        form.addRow("Token", self.share_token)
        self.share_test_button = QPushButton("Test connection")
        self.share_test_button.setToolTip("Check that the server answers and accepts the token")
        self.share_test_button.clicked.connect(self.test_share)
        self.share_result = status_label()
        row = QHBoxLayout()
        row.addWidget(self.share_test_button)
        row.addStretch(1)
        form.addRow("", row)
        form.addRow("", self.share_result)

    def test_share(self) -> None:
        url, token = self.share_url.text().strip(), self.share_token.text().strip()
        self.share_test_button.setEnabled(False)
        self._status(self.share_result, "Testing…")
        start_job(
            lambda _p: check_share_server(url, token),
            on_done=self._share_tested,
            on_fail=self._share_test_failed,
            owner=self,
        )

    def _share_tested(self, message: str) -> None:
        self.share_test_button.setEnabled(True)
        self._status(self.share_result, message)

    def _share_test_failed(self, err: NotesAppError) -> None:
        self.share_test_button.setEnabled(True)
        self._status(self.share_result, str(err), problem=True)

    def _calendar_rows(self, form: QFormLayout) -> None:
        """The calendars that name meetings and fill Coming up: added and removed at once (as
        `notes-app calendar add/remove` do), each read off the GUI thread."""
        self._section(form, "Calendars (optional — they name meetings and show what is next)")
        self.calendar_list = QListWidget()
        self.calendar_list.setMaximumHeight(84)
        self.calendar_list.setToolTip(
            "The calendars added; the secret part of an address is hidden"
        )
        self.calendar_input = QLineEdit()
        self.calendar_input.setPlaceholderText(
            "Private iCal address (https://… or webcal://…) or .ics file"
        )
        self.calendar_input.setToolTip(
            "Google: Settings → your calendar → “Secret address in iCal format”; Outlook: a "
            "published calendar's ICS link"
        )
        self.calendar_input.returnPressed.connect(self.add_calendar)
        self.calendar_add = QPushButton("Add")
        self.calendar_add.clicked.connect(self.add_calendar)
        self.calendar_remove = QPushButton("Remove")
        self.calendar_remove.clicked.connect(self.remove_calendar)
        self.calendar_result = status_label()
        form.addRow("Calendars", self.calendar_list)
        row = QHBoxLayout()
        row.addWidget(self.calendar_input, 1)
        row.addWidget(self.calendar_add)
        row.addWidget(self.calendar_remove)
        form.addRow("", row)
        form.addRow("", self.calendar_result)
        self._show_calendars()

    def _calendars(self):
        from notes_app.calendars.sources import Calendars

        return Calendars(self.settings.home)

    def _show_calendars(self) -> None:
        self.calendar_list.clear()
        try:
            sources = self._calendars().sources()
        except NotesAppError as e:
            self._status(self.calendar_result, str(e), problem=True)
            sources = []
        for source in sources:
            item = QListWidgetItem(f"{source.name}  ({source.shown})")
            item.setData(Qt.ItemDataRole.UserRole, source.id)
            self.calendar_list.addItem(item)
        self.calendar_remove.setEnabled(bool(sources))

    def add_calendar(self) -> None:
        text = self.calendar_input.text().strip()
        if not text:
            self._status(
                self.calendar_result,
                "Paste a calendar's private iCal address or an .ics file's path.",
                problem=True,
            )
            return
        calendars = self._calendars()
        self.calendar_add.setEnabled(False)
        self._status(self.calendar_result, "Reading the calendar…")
        start_job(
            lambda _p: calendars.add(text),
            on_done=self._calendar_added,
            on_fail=self._calendar_failed,
            owner=self,
        )

    def _calendar_added(self, result) -> None:
        added, upcoming = result
        timed = [e for e in upcoming if not e.all_day]
        self.calendar_add.setEnabled(True)
        self.calendar_input.clear()
        self._show_calendars()
        self._status(
            self.calendar_result,
            f"Added “{added.name}”: {len(timed)} event(s) in the coming week.",
        )
        self._calendars_changed()

    def _calendar_failed(self, err: NotesAppError) -> None:
        self.calendar_add.setEnabled(True)
        self.calendar_remove.setEnabled(self.calendar_list.count() > 0)
        self._status(self.calendar_result, str(err), problem=True)

    def remove_calendar(self) -> None:
        item = self.calendar_list.currentItem()
        if item is None:
            self._status(
                self.calendar_result, "Choose a calendar in the list to remove.", problem=True
            )
            return
        key = item.data(Qt.ItemDataRole.UserRole)
        calendars = self._calendars()
        self.calendar_remove.setEnabled(False)
        start_job(
            lambda _p: calendars.remove(key),
            on_done=self._calendar_removed,
            on_fail=self._calendar_failed,
            owner=self,
        )

    def _calendar_removed(self, removed) -> None:
        self._show_calendars()
        self._status(self.calendar_result, f"Removed “{removed.name}”.")
        self._calendars_changed()

    def _calendars_changed(self) -> None:
        upcoming = getattr(self.parent(), "upcoming", None)
        if upcoming is not None:
            upcoming.refresh()  # Coming up reads them again, in the background

    def _other_rows(self, form: QFormLayout) -> None:
        self._section(form, "Other")
        self.detect = QCheckBox("Offer to take notes when a call starts")
        self.detect.setChecked(self.settings.detect.enabled)
        self.detect.setVisible(_has("notes_app.audio.detect"))
        form.addRow("", self.detect)
        watcher = getattr(parent, "detection", None) if (parent := self.parent()) else None
        self.detect_error = QLabel(
            f"Detection is paused: {watcher.error}" if getattr(watcher, "error", None) else ""
        )
        self.detect_error.setObjectName("Warning")
        self.detect_error.setWordWrap(True)
        self.detect_error.setVisible(bool(self.detect_error.text()))
        form.addRow("", self.detect_error)
        folder = QLabel(str(self.settings.home))
        folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        folder.setObjectName("Muted")
        open_button = QPushButton("Open")
        open_button.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.settings.home)))
        )
        row = QHBoxLayout()
        row.addWidget(folder, 1)
        row.addWidget(open_button)
        form.addRow("Data folder", row)

    # --- model download -----------------------------------------------------------------------

    def start_download(self) -> None:
        name = self.download_choice.currentData()
        self.download_button.setEnabled(False)
        self.download_button.setText("Downloading…")
        self.download_progress.setRange(0, 0)
        self.download_progress.setVisible(True)
        settings = self.settings
        start_job(
            lambda progress: download(settings, name, progress),
            on_progress=self._download_progress,
            on_done=self._downloaded,
            on_fail=self._download_failed,
            owner=self,
        )

    def _download_progress(self, value) -> None:
        done, total = value
        if total:
            self.download_progress.setRange(0, total)
            self.download_progress.setValue(done)

    def _download_ended(self) -> None:
        self.download_button.setEnabled(True)
        self.download_button.setText("Download…")
        self.download_progress.setVisible(False)

    def _downloaded(self, name: str) -> None:
        self._download_ended()
        if self.model.findText(name) < 0:
            self.model.addItem(name)
        self.model.setCurrentText(name)  # saved with the other settings

    def _download_failed(self, err: NotesAppError) -> None:
        self._download_ended()
        self.errors.append(err)
        self._report(err)

    def _report(self, err: NotesAppError) -> None:
        parent = self.parent()
        if parent is not None and hasattr(parent, "show_error"):
            parent.show_error(err)
        else:
            QMessageBox.warning(self, "Notes", str(err))

    # --- devices ------------------------------------------------------------------------------

    def _fill_devices(self, devices: list) -> None:
        for combo, kind in ((self.mic, "mic"), (self.system, "monitor")):
            current = combo.currentData()
            for d in devices:
                if d.kind == kind and combo.findData(d.name) < 0:
                    combo.addItem(d.label, d.name)
            combo.setCurrentIndex(max(combo.findData(current), 0))

    def _devices_failed(self, err: NotesAppError) -> None:
        # Without a device list the user can still keep the defaults; say why the list is short.
        self.mic.setToolTip(str(err))
        self.system.setToolTip(str(err))

    # --- actions ------------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        return {
            "audio.mic_device": self.mic.currentData(),
            "audio.system_device": self.system.currentData(),
            "audio.keep_audio": self.keep_audio.isChecked(),
            "transcribe.model": self.model.currentText().strip(),
            "transcribe.language": self.language.currentText().strip(),
            "transcribe.backend": "openai" if self.remote.isChecked() else "local",
            "transcribe.base_url": self.remote_url.text().strip(),
            "transcribe.remote_model": self.remote_model.text().strip() or "whisper-1",
            "transcribe.api_key": self.remote_key.text().strip(),
            "llm.base_url": self.base_url.text().strip(),
            "llm.model": self.llm_model.text().strip(),
            "llm.api_key": self.api_key.text().strip(),
            "share.server_url": self.share_url.text().strip(),
            "share.token": self.share_token.text().strip(),
            "detect.enabled": self.detect.isChecked(),
        }

    def changed(self) -> dict[str, Any]:
        return {k: v for k, v in self.values().items() if config.get_value(self.settings, k) != v}

    def test_llm(self) -> None:
        probe = copy.deepcopy(self.settings.llm)
        probe.base_url = self.base_url.text().strip()
        probe.model = self.llm_model.text().strip()
        probe.api_key = self.api_key.text().strip()
        self.test_button.setEnabled(False)
        self._status(self.test_result, "Testing…")
        start_job(
            lambda _p: check_connection(probe),
            on_done=self._tested,
            on_fail=self._test_failed,
            owner=self,
        )

    # --- a model server on this computer ---------------------------------------------------

    def find_local_server(self) -> None:
        self.find_button.setEnabled(False)
        self._status(self.test_result, "Looking for a model server on this computer…")
        start_job(
            lambda _p: find_local(),
            on_done=self._found_local,
            on_fail=self._find_failed,
            owner=self,
        )

    def _found_local(self, servers: list) -> None:
        from notes_app.enhance.local_llm import RECOMMENDED_MODEL, RECOMMENDED_SIZE

        self.find_button.setEnabled(True)
        self.found_servers = servers
        if not servers:
            self._status(
                self.test_result,
                "No model server is running on this computer. Install Ollama (ollama.com) and "
                "start it, or start llama.cpp's server, then look again. Enhancement works "
                "offline meanwhile.",
                problem=True,
            )
            self.pull_button.setVisible(False)
            return
        server = next((s for s in servers if s.chat_models), servers[0])
        self.base_url.setText(server.base_url)
        current = self.llm_model.text().strip()
        self.llm_model.set_models(server.chat_models, server.suggested_model(current))
        others = [s.describe() for s in servers if s is not server]
        also = f" Also running: {'; '.join(others)}." if others else ""
        if server.chat_models:
            found = f"Found {server.describe()}. Choose a model and save to use it.{also}"
        else:
            found = f"Found {server.name} at {server.base_url}, with no model yet.{also}"
        self._status(self.test_result, found)
        ollama = next((s for s in servers if s.kind == "ollama"), None)
        wanted = ollama is not None and RECOMMENDED_MODEL not in ollama.models
        self.pull_button.setText(f"Get {RECOMMENDED_MODEL} ({RECOMMENDED_SIZE})")
        self.pull_button.setToolTip(
            f"Fetch {RECOMMENDED_MODEL}, a small model that runs on this computer, into Ollama"
        )
        self.pull_button.setVisible(wanted)

    def _find_failed(self, err: NotesAppError) -> None:
        self.find_button.setEnabled(True)
        self._status(self.test_result, str(err), problem=True)

    def pull_recommended(self) -> None:
        from notes_app.enhance.local_llm import RECOMMENDED_MODEL

        ollama = next((s for s in self.found_servers if s.kind == "ollama"), None)
        if ollama is None:
            return
        self.pull_button.setEnabled(False)
        self.pull_progress.setRange(0, 0)
        self.pull_progress.setVisible(True)
        self._status(self.test_result, f"Fetching {RECOMMENDED_MODEL} into Ollama…")
        self.pulling_into = ollama
        start_job(
            lambda progress: pull(ollama, RECOMMENDED_MODEL, progress),
            on_progress=self._pull_progress,
            on_done=self._pulled,
            on_fail=self._pull_failed,
            owner=self,
        )

    def _pull_progress(self, step) -> None:
        fraction = step.fraction
        if fraction is not None:
            self.pull_progress.setRange(0, 1000)
            self.pull_progress.setValue(int(fraction * 1000))
        self._status(self.test_result, f"Fetching: {step.status}")

    def _pulled(self, name: str) -> None:
        self.pull_progress.setVisible(False)
        self.pull_button.setEnabled(True)
        self.pull_button.setVisible(False)
        self.base_url.setText(self.pulling_into.base_url)
        if self.llm_model.findText(name) < 0:
            self.llm_model.addItem(name)
        self.llm_model.setText(name)
        self._status(self.test_result, f"{name} is ready in Ollama. Save to use it.")

    def _pull_failed(self, err: NotesAppError) -> None:
        self.pull_progress.setVisible(False)
        self.pull_button.setEnabled(True)
        self._status(self.test_result, str(err), problem=True)

    def _tested(self, message: str) -> None:
        self.test_button.setEnabled(True)
        self._status(self.test_result, message)

    def _test_failed(self, err: NotesAppError) -> None:
        self.test_button.setEnabled(True)
        self._status(self.test_result, str(err), problem=True)

    def save(self) -> None:
        changes = self.changed()
        if not changes:
            self.accept()
            return
        home = self.settings.home
        self.save_button.setEnabled(False)

        def write(_progress):
            for key, value in changes.items():
                config.save_setting(home, key, value)
            return changes

        start_job(write, on_done=self._saved, on_fail=self._save_failed, owner=self)

    def _saved(self, changes: dict[str, Any]) -> None:
        for key, value in changes.items():
            config.set_value(self.settings, key, value)  # the running app uses them at once
        parent = self.parent()
        if parent is not None and hasattr(parent, "update_detection"):
            parent.update_detection()
        self.accept()

    def _save_failed(self, err: NotesAppError) -> None:
        self.save_button.setEnabled(True)
        self.errors.append(err)
        self._report(err)
