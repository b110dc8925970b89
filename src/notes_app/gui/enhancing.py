"""Which enhancer is installed, and a job function that runs it for one meeting.

The window offers Enhance only when an enhancer exists: the full one (LLM or offline, with
templates and streaming) or, before that, the offline one alone.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from notes_app.config import Settings
from notes_app.domain import EnhancedNotes, Meeting, Transcript


def _module(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def available() -> bool:
    return bool(_module("notes_app.enhance.enhancer") or _module("notes_app.enhance.offline"))


def templates(settings: Settings) -> list[str]:
    """Template names to choose from; empty unless the full enhancer (which uses them) is here."""
    if _module("notes_app.enhance.enhancer") is None:
        return []
    mod = _module("notes_app.enhance.templates")
    if mod is None:
        return []
    return [t.name for t in mod.list_templates(settings.templates_dir)]


def enhance_job(
    settings: Settings,
    meeting: Meeting,
    transcript: Transcript,
    notes: str,
    template: str = "",
) -> Callable[[Callable[[Any], None]], EnhancedNotes]:
    """A function for a worker: enhance the meeting, reporting progress as ``("progress", d, t)``
    and streamed blocks as ``("block", block)``."""

    def run(progress: Callable[[Any], None]) -> EnhancedNotes:
        full = _module("notes_app.enhance.enhancer")
        if full is not None:
            return full.enhance(
                transcript,
                notes,
                llm_settings=settings.llm,
                mode=settings.enhance.mode,
                template=template or settings.enhance.template,
                on_block=lambda block: progress(("block", block)),
                on_progress=lambda done, total=None: progress(("progress", done, total)),
                meeting=meeting,
            )
        offline = importlib.import_module("notes_app.enhance.offline")
        return offline.enhance_offline(
            transcript, notes, meeting_id=meeting.id, title=meeting.title
        )

    return run
