"""Settings' "Find local server" and "Get model", and the welcome's mention of a local server,
against a scripted Ollama API and a scripted OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest

pytest.importorskip("PySide6")

import test_gui  # noqa: E402
import test_gui_welcome  # noqa: E402
from llm_server import ScriptedLLMServer  # noqa: E402
from ollama_server import ScriptedOllama  # noqa: E402

from notes_app.enhance import local_llm  # noqa: E402
from notes_app.gui.settings_dialog import SettingsDialog  # noqa: E402
from notes_app.gui.welcome import WelcomeDialog  # noqa: E402

window = test_gui.window
devices = test_gui_welcome.devices


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ports(monkeypatch):
    def use(ollama=(), openai=()):
        monkeypatch.setattr(local_llm, "OLLAMA_PORTS", tuple(ollama))
        monkeypatch.setattr(local_llm, "OPENAI_PORTS", tuple(openai))

    use()
    return use


@pytest.fixture
def dialog(qtbot, window):
    d = SettingsDialog(window.settings, window, devices=devices())
    qtbot.addWidget(d)
    d.show()
    yield d
    d.probe.stop()


def test_find_local_server_fills_the_endpoint_and_the_models(qtbot, dialog, ports):
    with ScriptedOllama(installed=["llama3.2:1b", "nomic-embed-text", "qwen2.5:7b"]) as ollama:
        ports(ollama=[ollama.port], openai=[closed_port()])
        dialog.find_button.click()
        assert not dialog.find_button.isEnabled()  # working off the GUI thread
        qtbot.waitUntil(dialog.find_button.isEnabled, timeout=10_000)
    assert dialog.base_url.text() == ollama.base_url
    models = [dialog.llm_model.itemText(i) for i in range(dialog.llm_model.count())]
    assert models == ["llama3.2:1b", "qwen2.5:7b"]  # the embedding model is not offered
    assert dialog.llm_model.text() == "llama3.2:1b"
    assert "Found Ollama" in dialog.test_result.text()
    assert dialog.pull_button.isVisible()  # the recommended model is not there yet
    assert dialog.values()["llm.base_url"] == ollama.base_url
    assert dialog.values()["llm.model"] == "llama3.2:1b"


def test_find_local_server_keeps_a_model_already_chosen(qtbot, dialog, ports):
    with ScriptedLLMServer(models=["local", "other"]) as llama:
        port = int(llama.base_url.split(":")[2].split("/")[0])
        ports(openai=[port])
        dialog.llm_model.setText("other")
        dialog.find_button.click()
        qtbot.waitUntil(dialog.find_button.isEnabled, timeout=10_000)
    assert dialog.base_url.text() == llama.base_url
    assert dialog.llm_model.text() == "other"
    assert not dialog.pull_button.isVisible()  # only Ollama can fetch models


def test_nothing_found_says_what_to_do(qtbot, dialog, ports):
    ports(ollama=[closed_port()], openai=[closed_port()])
    before = dialog.base_url.text()
    dialog.find_button.click()
    qtbot.waitUntil(dialog.find_button.isEnabled, timeout=10_000)
    assert "No model server is running" in dialog.test_result.text()
    assert "Ollama" in dialog.test_result.text()
    assert dialog.base_url.text() == before


def test_get_model_pulls_into_ollama_with_progress_and_selects_it(qtbot, dialog, ports):
    recommended = local_llm.RECOMMENDED_MODEL
    with ScriptedOllama(available={recommended: 10_000}, step_delay=0.1) as ollama:
        ports(ollama=[ollama.port])
        dialog.find_button.click()
        qtbot.waitUntil(dialog.find_button.isEnabled, timeout=10_000)
        assert "no model yet" in dialog.test_result.text()
        values: list[int] = []
        dialog.pull_progress.valueChanged.connect(values.append)
        dialog.pull_button.click()
        assert dialog.pull_progress.isVisible() and not dialog.pull_button.isEnabled()
        qtbot.waitUntil(lambda: not dialog.pull_progress.isVisible(), timeout=15_000)
        assert recommended in ollama.installed
    assert values[-1] == 1000 and 250 in values  # the bar moved through the layer's progress
    assert dialog.llm_model.text() == recommended
    assert dialog.base_url.text() == ollama.base_url
    assert f"{recommended} is ready" in dialog.test_result.text()


def test_a_failed_pull_says_why_and_the_button_comes_back(qtbot, dialog, ports):
    with ScriptedOllama() as ollama:  # it has no model to give
        ports(ollama=[ollama.port])
        dialog.find_button.click()
        qtbot.waitUntil(dialog.find_button.isEnabled, timeout=10_000)
        dialog.pull_button.click()
        qtbot.waitUntil(dialog.pull_button.isEnabled, timeout=10_000)
    assert "file does not exist" in dialog.test_result.text()
    assert not dialog.pull_progress.isVisible()


def test_the_welcome_mentions_a_local_server_it_found(qtbot, window):
    found = [
        local_llm.LocalServer("ollama", "Ollama", "http://127.0.0.1:11434/v1", ("llama3.2:1b",))
    ]
    welcome = WelcomeDialog(
        window.settings,
        window,
        devices=devices(),
        model_loader=lambda s: "tiny.en",
        server_finder=lambda: found,
    )
    qtbot.addWidget(welcome)
    welcome.show()
    try:
        qtbot.waitUntil(welcome.local_status.isVisible, timeout=10_000)
    finally:
        welcome.probe.stop()
    assert "Found on this computer: Ollama at http://127.0.0.1:11434/v1" in (
        welcome.local_status.text()
    )
    texts = " ".join(w.text() for w in welcome.findChildren(type(welcome.local_status)))
    assert "Find local server" in texts


def test_the_welcome_looks_for_real_servers_off_the_gui_thread(qtbot, window, ports):
    with ScriptedOllama(installed=["llama3.2:1b"]) as ollama:
        ports(ollama=[ollama.port])
        welcome = WelcomeDialog(
            window.settings, window, devices=devices(), model_loader=lambda s: "tiny.en"
        )
        qtbot.addWidget(welcome)
        welcome.show()
        try:
            qtbot.waitUntil(welcome.local_status.isVisible, timeout=10_000)
        finally:
            welcome.probe.stop()
    assert ollama.base_url in welcome.local_status.text()
