"""`notes-app enhance`: a meeting's notes plus its transcript become full, cited notes.

Two forms: ``enhance MEETING_ID [--notes FILE]`` for a stored meeting, and
``enhance --transcript FILE [--notes FILE] [--title T]`` which imports the transcript as a new
meeting first. Each run stores a new version of the enhanced notes; the raw notes are never
overwritten, except by ``--notes``, which is the user handing in new notes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from notes_app import render
from notes_app.app import App
from notes_app.cli.common import get_app, json_option, print_json, progress_bar, progress_events
from notes_app.cli.llm import StreamPreview, enhance_options, fallback_notice
from notes_app.errors import NotesAppError
from notes_app.usecases.files import read_notes


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
    with progress_bar("Enhancing", 1) if preview is None else _erasing(preview) as update:
        stored = app.enhance_meeting(
            meeting_id,
            mode=mode,
            template=template,
            fallback=fallback,
            on_event=preview.on_event if preview is not None else progress_events(update),
        )
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
        new_id, _ = app.import_transcript(transcript_path, title=title, notes_path=notes_path)
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


@contextmanager
def _erasing(preview: StreamPreview) -> Iterator[Callable[..., None]]:
    """The preview goes once the checked notes are ready to print (or the run failed); no
    progress bar meanwhile (the preview shows the progress)."""
    try:
        yield lambda *_progress: None
    finally:
        preview.erase()


COMMANDS = [enhance_cmd]
