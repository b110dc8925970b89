"""Settings, loaded once at the composition root and passed down.

Where things live: ``NOTES_APP_HOME`` if set, else the platform's user data dir. Settings are a
TOML file there (``settings.toml``); a few environment variables override it. Secrets (the LLM
API key, the share token) are kept in the OS keyring when one is available, never in the TOML
file unless the user has no keyring.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from notes_app.errors import ConfigError, StorageError
from notes_app.private import private_dir, secure_data_folder, write_atomic

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

APP_NAME = "notes-app"
SETTINGS_FILE = "settings.toml"

log = logging.getLogger(__name__)


def app_home() -> Path:
    """The data directory: ``$NOTES_APP_HOME`` or the platform's user data dir."""
    env = os.environ.get("NOTES_APP_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass
class TranscribeSettings:
    model: str = "tiny.en"
    language: str = "en"  # "" or "auto" lets Whisper detect it
    compute_type: str = "int8"
    threads: int = 0  # 0: let CTranslate2 choose
    vocabulary: list[str] = field(default_factory=list)  # names and terms the recogniser is taught
    final_model: str = ""  # model for the pass over the whole recording; "" = the live one
    # Whole files (a transcribed file, the final pass) on a server instead: "openai" sends them
    # to an OpenAI-compatible /audio/transcriptions (transcribe/remote.py); live stays local.
    backend: str = "local"
    base_url: str = ""  # the server's address, e.g. http://localhost:8000/v1; "" = OpenAI's
    remote_model: str = "whisper-1"
    api_key: str = ""  # normally in the keyring, like llm.api_key
    remote_timeout: float = 300.0  # seconds one request (ten minutes of audio) may take


@dataclass
class AudioSettings:
    mic_device: str = ""  # "" = default; "none" = do not record the mic
    system_device: str = ""  # "" = the default output's monitor; "none" = skip
    keep_audio: bool = True


@dataclass
class LLMSettings:
    base_url: str = ""  # empty: no LLM configured, enhancement runs offline
    model: str = ""
    api_key: str = ""  # normally in the keyring; see secrets below
    timeout: float = 120.0
    context_tokens: int = 8192
    max_retries: int = 3
    embed_model: str = ""  # an embeddings model on the same endpoint; empty: offline vectors


@dataclass
class EnhanceSettings:
    mode: str = "auto"  # "auto" (LLM when configured, else offline), "llm", "offline"
    template: str = "general"
    auto_after_stop: bool = True


@dataclass
class ShareSettings:
    server_url: str = ""
    token: str = ""


@dataclass
class DetectSettings:
    enabled: bool = True


@dataclass
class NotesSettings:
    vault: str = ""  # a folder (e.g. an Obsidian vault) each enhanced meeting is written to


@dataclass
class Settings:
    transcribe: TranscribeSettings = field(default_factory=TranscribeSettings)
    audio: AudioSettings = field(default_factory=AudioSettings)
    llm: LLMSettings = field(default_factory=LLMSettings)
    enhance: EnhanceSettings = field(default_factory=EnhanceSettings)
    share: ShareSettings = field(default_factory=ShareSettings)
    detect: DetectSettings = field(default_factory=DetectSettings)
    notes: NotesSettings = field(default_factory=NotesSettings)
    home: Path = field(default_factory=app_home)

    # Paths derived from home, so a test that points NOTES_APP_HOME at tmp_path gets all of them.
    @property
    def db_path(self) -> Path:
        return self.home / "notes.db"

    @property
    def audio_dir(self) -> Path:
        return self.home / "audio"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def templates_dir(self) -> Path:
        return self.home / "templates"

    @property
    def settings_path(self) -> Path:
        return self.home / SETTINGS_FILE

    @property
    def vault_path(self) -> Path | None:
        """The Markdown vault folder, or None when none is set."""
        return Path(self.notes.vault).expanduser() if self.notes.vault else None


# Environment variables that override a setting: (env var, dotted key).
ENV_OVERRIDES = (
    ("NOTES_APP_LLM_BASE_URL", "llm.base_url"),
    ("NOTES_APP_LLM_MODEL", "llm.model"),
    ("NOTES_APP_LLM_API_KEY", "llm.api_key"),
    ("NOTES_APP_MODEL", "transcribe.model"),
    ("NOTES_APP_LANGUAGE", "transcribe.language"),
    ("NOTES_APP_TRANSCRIBE_API_KEY", "transcribe.api_key"),
    ("NOTES_APP_SHARE_URL", "share.server_url"),
    ("NOTES_APP_SHARE_TOKEN", "share.token"),
)

# Keys whose values are secrets: stored in the keyring when possible, never printed in full.
SECRET_KEYS = ("llm.api_key", "share.token", "transcribe.api_key")


def _sections() -> dict[str, Any]:
    return {f.name: f.type for f in dataclasses.fields(Settings) if f.name != "home"}


def all_keys() -> list[str]:
    """Every dotted key a user can get or set, e.g. ``llm.base_url``."""
    s = Settings(home=Path("."))
    keys = []
    for section in _sections():
        for f in dataclasses.fields(getattr(s, section)):
            keys.append(f"{section}.{f.name}")
    return keys


def _split(key: str) -> tuple[str, str]:
    if key.count(".") != 1 or key not in all_keys():
        raise ConfigError(f"Unknown setting {key!r}. Known settings: {', '.join(all_keys())}.")
    section, name = key.split(".")
    return section, name


def _coerce(key: str, current: Any, value: Any) -> Any:
    """A typed value for ``key``: a string typed on the command line, or a TOML value, checked."""
    if isinstance(current, bool):
        if isinstance(value, bool):
            return value
        low = str(value).strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"Setting {key} takes true or false, not {value!r}.")
    if isinstance(current, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            if isinstance(value, str):
                return int(value.strip())
        except ValueError:
            pass
        raise ConfigError(f"Setting {key} takes a whole number, not {value!r}.")
    if isinstance(current, float):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        try:
            if isinstance(value, str):
                return float(value.strip())
        except ValueError:
            pass
        raise ConfigError(f"Setting {key} takes a number, not {value!r}.")
    if not isinstance(value, str):
        raise ConfigError(f"Setting {key} takes text, not {value!r}.")
    return value.strip()


def _at_least(low: float, unit: str = "") -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value >= low else f"must be at least {low:g}{unit}"

    return check


def _more_than(low: float, unit: str = "") -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value > low else f"must be more than {low:g}{unit}"

    return check


def _one_of(*choices: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}"

    return check


def _url(value: Any) -> str | None:
    if value == "" or value.startswith(("http://", "https://")):
        return None
    return "must be empty or a web address starting with http:// or https://"


def _not_empty(value: Any) -> str | None:
    return None if value else "cannot be empty"


def _folder(value: Any) -> str | None:
    if value and Path(value).expanduser().is_file():
        return "must be a folder, and that is a file"
    return None


def _language(value: Any) -> str | None:
    if value in ("", "auto") or (value.isascii() and value.isalpha() and 2 <= len(value) <= 3):
        return None
    return "must be a language code such as en or de, or auto to detect it"


# Checked whenever a value is set (command line, window, settings.toml, environment), so a value
# that would crash later (a negative timeout) is refused with a sentence at once.
_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "transcribe.model": _not_empty,
    "transcribe.language": _language,
    "transcribe.compute_type": _one_of(
        "int8",
        "int8_float32",
        "int8_float16",
        "int8_bfloat16",
        "int16",
        "float16",
        "bfloat16",
        "float32",
        "auto",
        "default",
    ),  # fmt: skip
    "transcribe.threads": _at_least(0),
    "transcribe.backend": _one_of("local", "openai"),
    "transcribe.base_url": _url,
    "transcribe.remote_model": _not_empty,
    "transcribe.remote_timeout": _more_than(0, " seconds"),
    "llm.base_url": _url,
    "llm.timeout": _more_than(0, " seconds"),
    "llm.context_tokens": _at_least(512, " tokens"),
    "llm.max_retries": _at_least(0),
    "enhance.mode": _one_of("auto", "llm", "offline"),
    "enhance.template": _not_empty,
    "share.server_url": _url,
    "notes.vault": _folder,
}


def check_value(key: str, value: Any) -> Any:
    """``value`` typed for ``key`` and checked; ConfigError with a sentence when it will not do."""
    section, name = _split(key)
    typed = _coerce(key, getattr(getattr(Settings(home=Path(".")), section), name), value)
    check = _CHECKS.get(key)
    problem = check(typed) if check else None
    if problem:
        shown = f"{typed:g}" if isinstance(typed, float) else repr(typed)
        raise ConfigError(f"Setting {key} {problem}, not {shown}.")
    return typed


def get_value(settings: Settings, key: str) -> Any:
    section, name = _split(key)
    return getattr(getattr(settings, section), name)


def set_value(settings: Settings, key: str, value: Any) -> None:
    section, name = _split(key)
    setattr(getattr(settings, section), name, check_value(key, value))


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(
            f"Settings file {path} is not valid TOML ({e}). Fix it or delete it to start over."
        ) from None


def load_settings(home: Path | None = None, *, env: dict[str, str] | None = None) -> Settings:
    """Read settings.toml from the data dir, then apply environment overrides and secrets."""
    env = dict(os.environ) if env is None else env
    home = Path(home) if home else app_home()
    settings = Settings(home=home)
    secure_data_folder(home)  # what an earlier version left readable by others, tightened
    path = settings.settings_path
    data = _read_toml(path)
    for section, values in data.items():
        if section not in _sections() or not isinstance(values, dict):
            continue  # unknown sections from a newer version are kept on disk, ignored here
        for name, value in values.items():
            key = f"{section}.{name}"
            if key in all_keys():
                try:
                    set_value(settings, key, value)
                except ConfigError as e:
                    raise ConfigError(
                        f"{e} (in {path}). Fix it with `notes-app config set {key} VALUE`, "
                        "or delete that line to use the default."
                    ) from None
    for key in SECRET_KEYS:
        if not get_value(settings, key):
            secret = secrets_store().get(key)
            if secret:
                set_value(settings, key, secret)
    for var, key in ENV_OVERRIDES:
        if env.get(var):
            try:
                set_value(settings, key, env[var])
            except ConfigError as e:
                raise ConfigError(f"{e} (from the environment variable {var}).") from None
    if not settings.llm.api_key and env.get("OPENAI_API_KEY"):
        settings.llm.api_key = env["OPENAI_API_KEY"]
    remote = settings.transcribe
    if not remote.api_key and not remote.base_url and env.get("OPENAI_API_KEY"):
        remote.api_key = env["OPENAI_API_KEY"]  # OpenAI's own key, only for OpenAI's own API
    return settings


def save_setting(home: Path, key: str, value: Any) -> Any:
    """Persist one setting (secrets to the keyring when there is one); returns the stored value."""
    typed = check_value(key, value)
    # Only this key is read back: a bad value elsewhere in the file never blocks fixing it.
    path = Settings(home=home).settings_path
    if key in SECRET_KEYS and secrets_store().set(key, typed):
        _write_key(path, key, None)
        return typed
    _write_key(path, key, typed)
    if key in SECRET_KEYS and typed:
        log.warning(
            "There is no keyring here, so %s is stored in plain text in %s (readable by you "
            "only). Install one (e.g. GNOME Keyring or KWallet) to keep it out of files, or "
            "set it in the environment instead.",
            key,
            path,
        )
    return typed


def _write_key(path: Path, key: str, value: Any) -> None:
    data = _read_toml(path)
    section, name = key.split(".")
    if value is None:
        data.get(section, {}).pop(name, None)
    else:
        data.setdefault(section, {})[name] = value
    try:
        private_dir(path.parent)
        # Atomic: a crash never leaves half a settings file, a full disk no empty .tmp.
        write_atomic(path, tomli_w.dumps(data).encode("utf-8"))
    except OSError as e:
        raise StorageError(
            f"Could not write settings to {path}: {e.strerror}. Free disk space or check the "
            "folder's permissions; the settings are unchanged."
        ) from None


def secret_in_file(home: Path, key: str) -> Path | None:
    """The settings file, when it holds the secret ``key`` in plain text (there was no
    keyring to take it when it was saved); None when it does not."""
    path = Settings(home=home).settings_path
    section, name = _split(key)
    value = _read_toml(path).get(section, {})
    return path if isinstance(value, dict) and value.get(name) else None


def mask(value: str) -> str:
    """Show that a secret is set without showing it."""
    if not value:
        return ""
    return "****" + value[-4:] if len(value) > 8 else "****"


class _Secrets:
    """The OS keyring, if one works here; otherwise a no-op so the TOML file is used."""

    service = APP_NAME

    def _keyring(self):
        if os.environ.get("NOTES_APP_NO_KEYRING"):
            return None
        try:
            import keyring
            from keyring.backends import fail

            kr = keyring.get_keyring()
            if (
                isinstance(kr, fail.Keyring)
                or "chainer" in type(kr).__module__
                and not getattr(kr, "backends", None)
            ):
                return None
            return keyring
        except Exception:  # noqa: BLE001 - backends fail in many ways; no keyring is a normal state
            log.info("No usable keyring; secrets stay in %s", SETTINGS_FILE, exc_info=True)
            return None

    def get(self, key: str) -> str | None:
        kr = self._keyring()
        if kr is None:
            return None
        try:
            return kr.get_password(self.service, key)
        except Exception:  # noqa: BLE001 - a locked or broken keyring falls back to the file
            log.warning(
                "Could not read %s from the keyring; using %s.", key, SETTINGS_FILE, exc_info=True
            )
            return None

    def set(self, key: str, value: str) -> bool:
        kr = self._keyring()
        if kr is None:
            return False
        from keyring.errors import PasswordDeleteError

        try:
            if value:
                kr.set_password(self.service, key, value)
            else:
                try:
                    kr.delete_password(self.service, key)
                except PasswordDeleteError:
                    pass  # nothing stored under that key: already deleted
            return True
        except Exception:  # noqa: BLE001 - a locked or broken keyring falls back to the file
            log.warning(
                "Could not store %s in the keyring; writing it to %s instead.",
                key,
                SETTINGS_FILE,
                exc_info=True,
            )
            return False


_SECRETS = _Secrets()


def secrets_store() -> _Secrets:
    return _SECRETS
