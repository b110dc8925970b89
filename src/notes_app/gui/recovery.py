"""At launch: meetings whose recording process died are offered for recovery."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from notes_app.config import Settings


def recover_all(settings: Settings, meeting_ids: list[int]) -> Callable[[Callable], list[Any]]:
    """A worker function: finish each meeting (transcribe the spooled tail, close the audio)."""

    def run(progress: Callable[[Any], None]) -> list[Any]:
        from notes_app.recover import recover_meeting
        from notes_app.store.repo import Repo
        from notes_app.transcribe.engine import WhisperEngine
        from notes_app.transcribe.models import default_project_dir, resolve_model

        model = resolve_model(
            settings.transcribe.model,
            project_dir=default_project_dir(),
            home_models_dir=settings.models_dir,
        )
        # The model loads only if some meeting has audio left to transcribe.
        engine = WhisperEngine(model, settings.transcribe.compute_type, settings.transcribe.threads)
        language = settings.transcribe.language
        done = []
        with Repo.open(settings.db_path) as repo:  # this worker thread's own connection
            for meeting_id in meeting_ids:
                done.append(
                    recover_meeting(
                        repo,
                        engine,
                        repo.get_meeting(meeting_id),
                        language=None if language in ("", "auto") else language,
                        keep_audio=settings.audio.keep_audio,
                        on_progress=lambda d, t: progress((d, t)),
                    )
                )
        return done

    return run
