"""`notes-app import`: a transcript made elsewhere (Zoom, Teams, Meet, SRT, JSON, text) becomes
a meeting, with the user's notes, in one transaction."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click

from notes_app import render
from notes_app.cli.common import get_app, json_option, print_json
from notes_app.domain import ME, THEM, Transcript
from notes_app.errors import NotesAppError
from notes_app.store.repo import Repo
from notes_app.transcribe.importers import load_transcript


def title_from_filename(path: Path) -> str:
    """``team-sync_2024-05-01.vtt`` → ``Team sync 2024-05-01``: separators next to letters become
    spaces, so dates and version numbers keep their dashes and dots."""
    stem = re.sub(r"_+|(?<=[^\W\d_])[-.]+|[-.]+(?=[^\W\d_])", " ", path.stem)
    stem = " ".join(stem.split())
    if not stem:
        return "Imported meeting"
    return stem[0].upper() + stem[1:]


def read_notes(path: Path) -> str:
    """The user's notes as typed. Unreadable notes stop the import before anything is stored."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        problem = "the file does not exist"
    except IsADirectoryError:
        problem = "this is a folder, not a file"
    except UnicodeDecodeError:
        problem = "the text is not UTF-8; save it as UTF-8 and try again"
    except OSError as e:
        problem = f"the file cannot be read ({e.strerror})"
    raise NotesAppError(f"Cannot read notes file {path}: {problem}. Nothing was imported.")


def attendees_of(transcript: Transcript) -> list[str]:
    """Named speakers in order of first appearance ("me"/"them" are channels, not people)."""
    names: dict[str, None] = {}
    for seg in transcript.segments:
        if seg.speaker and seg.speaker not in (ME, THEM):
            names.setdefault(seg.speaker)
    return list(names)


def import_transcript(
    repo: Repo, transcript_path: Path, *, title: str | None = None, notes_path: Path | None = None
) -> tuple[int, Transcript]:
    """Read everything first, then store meeting, notes and segments in one transaction."""
    transcript = load_transcript(transcript_path)
    notes = read_notes(notes_path) if notes_path else ""
    started = datetime.now(timezone.utc).replace(microsecond=0)
    ended = started + timedelta(seconds=transcript.duration)
    meeting_id = repo.create_meeting(
        title or title_from_filename(transcript_path),
        started_at=started.isoformat(),
        ended_at=ended.isoformat(),
        duration=transcript.duration,
        language=transcript.language,
        attendees=attendees_of(transcript),
        notes=notes,
        segments=transcript.segments,
    )
    return meeting_id, transcript


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
    meeting_id, transcript = import_transcript(
        get_app().repo, file, title=title, notes_path=notes_path
    )
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
