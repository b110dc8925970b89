import pytest
from click.testing import CliRunner

from notes_app import config as cfg
from notes_app.cli import main
from notes_app.errors import ConfigError


def test_defaults_and_home(notes_home):
    s = cfg.load_settings()
    assert s.home == notes_home
    assert s.transcribe.model == "tiny.en"
    assert s.db_path == notes_home / "notes.db"
    assert s.llm.base_url == ""


def test_set_get_round_trip_via_cli(notes_home):
    r = CliRunner()
    assert (
        r.invoke(main, ["config", "set", "llm.base_url", "http://127.0.0.1:11434/v1"]).exit_code
        == 0
    )
    assert r.invoke(main, ["config", "set", "llm.timeout", "30"]).exit_code == 0
    out = r.invoke(main, ["config", "get", "llm.base_url"])
    assert out.output.strip() == "http://127.0.0.1:11434/v1"
    s = cfg.load_settings()
    assert s.llm.timeout == 30.0 and isinstance(s.llm.timeout, float)
    assert "base_url" in (notes_home / "settings.toml").read_text()


def test_secret_is_masked(notes_home):
    r = CliRunner()
    res = r.invoke(main, ["config", "set", "llm.api_key", "sk-supersecretvalue1234"])
    assert res.exit_code == 0
    assert "supersecret" not in res.output
    listing = r.invoke(main, ["config", "get"]).output
    assert "supersecret" not in listing and "****1234" in listing
    assert cfg.load_settings().llm.api_key == "sk-supersecretvalue1234"


def test_env_overrides_file(notes_home, monkeypatch):
    cfg.save_setting(notes_home, "llm.model", "from-file")
    monkeypatch.setenv("NOTES_APP_LLM_MODEL", "from-env")
    assert cfg.load_settings().llm.model == "from-env"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    assert cfg.load_settings().llm.api_key == "sk-env"


def test_unknown_key_and_bad_value_are_clear_errors(notes_home):
    r = CliRunner()
    res = r.invoke(main, ["config", "set", "llm.nope", "x"])
    assert res.exit_code == 1 and "Unknown setting 'llm.nope'" in res.output
    res = r.invoke(main, ["config", "set", "audio.keep_audio", "maybe"])
    assert res.exit_code == 1 and "true or false" in res.output
    with pytest.raises(ConfigError):
        cfg.save_setting(notes_home, "llm.timeout", "soon")


def test_corrupt_settings_file_is_reported(notes_home):
    (notes_home / "settings.toml").write_text("[llm\nbase_url = ")
    res = CliRunner().invoke(main, ["config", "get"])
    assert res.exit_code == 1
    assert "not valid TOML" in res.output and "settings.toml" in res.output
