"""`notes-app import`: a transcript made elsewhere (Zoom, Teams, Meet, SRT, JSON, text) becomes
a meeting, with the user's notes, in one transaction."""

from __future__ import annotations

from pathlib import Path

import click

from notes_app import render
from notes_app.cli.common import get_app, json_option, print_json


@click.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--title", help="Meeting title (default: made from the file name).")
@click.option(
    "--notes",
    "notes_path",
    type=click.Path(path_type=Path),
    help="Your notes for this meeting (Markdown), stored as typed.",
)
@json_option
def import_cmd(file: Path, title: str | None, notes_path: Path | None, as_json: bool) -> None:
    """Import a transcript (.vtt, .srt, .json, .txt) as a new meeting; prints its id.

    .vtt files from Zoom, Teams and Google Meet keep their speaker names; .txt takes one
    utterance per line, with an optional "Name:" or "(Name)" in front.
    """
    meeting_id, transcript = get_app().import_transcript(file, title=title, notes_path=notes_path)
    count = len(transcript.segments)
    if as_json:
        print_json({"meeting_id": meeting_id, "segments": count})
        return
    # The id alone on stdout, so `id=$(notes-app import x.vtt)` works; the summary on stderr.
    click.echo(meeting_id)
    click.echo(
        f"Imported {count} segments ({render.clock(transcript.duration)}) from {file.name} "
        f"as meeting {meeting_id}. Next: `notes-app enhance {meeting_id}`.",
        err=True,
    )


COMMANDS = [import_cmd]
