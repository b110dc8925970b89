"""`notes-app enhance`: a meeting's notes plus its transcript become full, cited notes.

Two forms: ``enhance MEETING_ID [--notes FILE]`` for a stored meeting, and
``enhance --transcript FILE [--notes FILE] [--title T]`` which imports the transcript as a new
meeting first. Each run stores a new version of the enhanced notes; the raw notes are never
overwritten, except by ``--notes``, which is the user handing in new notes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

import click

from notes_app import render
from notes_app.app import App
from notes_app.cli.common import get_app, json_option, print_json, progress_bar
from notes_app.cli.importing import import_transcript, read_notes
from notes_app.cli.llm import StreamPreview, enhance_options, fallback_notice, make_enhancer
from notes_app.domain import EnhancedNotes, Transcript
from notes_app.errors import NotesAppError

# (transcript, notes, *, meeting_id, title) -> EnhancedNotes
Enhancer = Callable[..., EnhancedNotes]


def choose_enhancer(app: App, **options) -> Enhancer:
    """The enhancer this run uses: the LLM when one is configured (or --llm), else offline.

    ``options`` are those of ``cli.llm.make_enhancer`` (mode, template, fallback, callbacks).
    """
    return make_enhancer(app, **options)


def enhance_stored(app: App, meeting_id: int, enhancer: Enhancer) -> EnhancedNotes:
    """Enhance a stored meeting's notes and store the result as a new version."""
    repo = app.repo
    meeting = repo.get_meeting(meeting_id)
    transcript = repo.get_transcript(meeting_id)
    _require_transcript(meeting_id, transcript)
    notes = enhancer(transcript, meeting.notes, meeting_id=meeting_id, title=meeting.title)
    if notes.meeting_id != meeting_id:
        notes = EnhancedNotes(meeting_id, notes.mode, notes.blocks, notes.model, notes.template)
    return repo.add_enhanced(notes)


def _require_transcript(meeting_id: int, transcript: Transcript) -> None:
    if not transcript.segments:
        raise NotesAppError(
            f"Meeting {meeting_id} has no transcript, so there is nothing to ground the notes in. "
            "Transcribe its audio or import a transcript first "
            "(`notes-app import FILE --notes NOTES.md`)."
        )


@click.command("enhance")
@click.argument("meeting_id", type=int, required=False)
@click.option(
    "--notes",
    "notes_path",
    type=click.Path(path_type=Path),
    help="Your notes (Markdown). With MEETING_ID they replace the meeting's stored notes.",
)
@click.option(
    "--transcript",
    "transcript_path",
    type=click.Path(path_type=Path),
    help="Import this transcript (.vtt, .srt, .json, .txt) as a new meeting, then enhance it.",
)
@click.option("--title", help="Title for a meeting made with --transcript.")
@enhance_options
@json_option
def enhance_cmd(
    meeting_id: int | None,
    notes_path: Path | None,
    transcript_path: Path | None,
    title: str | None,
    mode: str | None,
    template: str | None,
    fallback: str | None,
    as_json: bool,
) -> None:
    """Turn your notes and the transcript into full notes with citations.

    Your own lines stay as you wrote them; added lines quote the transcript and cite it.
    Each run saves a new version (see `notes-app show MEETING_ID --version N`).
    """
    app = get_app()
    meeting_id = _meeting_to_enhance(app, meeting_id, notes_path, transcript_path, title)
    # Blocks stream to the terminal while the model writes; only a complete result is stored.
    preview = StreamPreview() if not as_json and sys.stderr.isatty() else None
    progress = progress_bar("Enhancing", 1) if preview is None else nullcontext(preview.progress)
    with progress as update:
        try:
            enhancer = choose_enhancer(
                app,
                mode=mode,
                template=template,
                fallback=fallback,
                on_block=preview,
                on_progress=update,
            )
            stored = enhance_stored(app, meeting_id, enhancer)
        finally:
            if preview is not None:
                preview.erase()
    notice = fallback_notice(stored)
    if notice:
        click.secho(notice, fg="yellow", err=True)
    if as_json:
        print_json(stored.to_dict())
        return
    click.echo(render.notes_to_terminal(app.repo.get_meeting(meeting_id), stored), nl=False)


def _meeting_to_enhance(
    app: App,
    meeting_id: int | None,
    notes_path: Path | None,
    transcript_path: Path | None,
    title: str | None,
) -> int:
    """The id of the meeting to enhance, after storing what the user handed in."""
    if meeting_id is not None and transcript_path is not None:
        raise NotesAppError(
            "Give either a MEETING_ID or --transcript FILE, not both: --transcript makes a new "
            "meeting."
        )
    if transcript_path is not None:
        new_id, _ = import_transcript(app.repo, transcript_path, title=title, notes_path=notes_path)
        click.echo(f"Imported {transcript_path.name} as meeting {new_id}.", err=True)
        return new_id
    if meeting_id is None:
        raise NotesAppError(
            "Say which meeting to enhance: `notes-app enhance MEETING_ID` "
            "(see `notes-app list`), or `notes-app enhance --transcript FILE --notes NOTES.md`."
        )
    if title is not None:
        raise NotesAppError("--title only applies with --transcript; this meeting has a title.")
    app.repo.get_meeting(meeting_id)  # an unknown id fails before anything is read or stored
    if notes_path is not None:
        app.repo.set_notes(meeting_id, read_notes(notes_path))
    return meeting_id


COMMANDS = [enhance_cmd]
