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
    for var in ("NOTES_APP_LLM_BASE_URL", "NOTES_APP_LLM_MODEL", "NOTES_APP_LLM_API_KEY",
                "OPENAI_API_KEY", "NOTES_APP_SHARE_URL", "NOTES_APP_SHARE_TOKEN"):
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
