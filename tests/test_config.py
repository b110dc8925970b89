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


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("llm.timeout", "-1", "more than 0 seconds"),
        ("llm.timeout", "0", "more than 0 seconds"),
        ("llm.context_tokens", "100", "at least 512"),
        ("llm.max_retries", "-2", "at least 0"),
        ("llm.base_url", "localhost:11434/v1", "http:// or https://"),
        ("share.server_url", "ftp://example.org", "http:// or https://"),
        ("enhance.mode", "smart", "one of auto, llm, offline"),
        ("transcribe.compute_type", "int4", "one of int8"),
        ("transcribe.language", "English", "language code"),
        ("transcribe.threads", "-1", "at least 0"),
        ("transcribe.model", "  ", "cannot be empty"),
    ],
)
def test_values_are_checked_when_set(notes_home, key, value, words):
    res = CliRunner().invoke(main, ["config", "set", key, value])
    assert res.exit_code == 1
    assert f"Setting {key} " in res.output and words in res.output
    assert not (notes_home / "settings.toml").exists()  # nothing written


def test_good_values_are_kept_typed(notes_home):
    cfg.save_setting(notes_home, "llm.base_url", " https://api.example.org/v1 ")
    cfg.save_setting(notes_home, "transcribe.language", "auto")
    cfg.save_setting(notes_home, "llm.max_retries", "0")
    s = cfg.load_settings()
    assert s.llm.base_url == "https://api.example.org/v1"
    assert s.transcribe.language == "auto" and s.llm.max_retries == 0


def test_bad_value_in_the_file_is_named_and_can_be_fixed(notes_home):
    (notes_home / "settings.toml").write_text('[llm]\ntimeout = -1\nmodel = "m"\n')
    r = CliRunner()
    res = r.invoke(main, ["config", "get"])
    assert res.exit_code == 1
    assert "llm.timeout must be more than 0 seconds" in res.output
    assert "settings.toml" in res.output and "config set llm.timeout" in res.output
    # Setting another key still works, and so does fixing the bad one.
    assert r.invoke(main, ["config", "set", "llm.model", "other"]).exit_code == 0
    assert r.invoke(main, ["config", "path"]).output.strip() == str(notes_home)
    assert r.invoke(main, ["config", "set", "llm.timeout", "60"]).exit_code == 0
    s = cfg.load_settings()
    assert s.llm.timeout == 60.0 and s.llm.model == "other"


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ("[llm]\ntimeout = true\n", "takes a number"),
        ("[llm]\nmax_retries = 1.5\n", "takes a whole number"),
        ("[audio]\nkeep_audio = 2\n", "true or false"),
        ("[llm]\nmodel = 3\n", "takes text"),
    ],
)
def test_wrong_types_in_the_file_are_clear_errors(notes_home, toml, words):
    (notes_home / "settings.toml").write_text(toml)
    with pytest.raises(ConfigError, match=words):
        cfg.load_settings()


def test_integer_for_a_number_setting_is_fine(notes_home):
    (notes_home / "settings.toml").write_text("[llm]\ntimeout = 30\n")
    assert cfg.load_settings().llm.timeout == 30.0


def test_bad_environment_value_names_the_variable(notes_home, monkeypatch):
    monkeypatch.setenv("NOTES_APP_LLM_BASE_URL", "127.0.0.1:8080")
    with pytest.raises(ConfigError, match="NOTES_APP_LLM_BASE_URL"):
        cfg.load_settings()
