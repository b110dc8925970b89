"""Commands for speech to text: `transcribe` an audio file, and `models list|download`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from notes_app import render
from notes_app.audio.decode import check
from notes_app.cli.common import get_app, json_option, print_json, progress_bar, progress_events
from notes_app.domain import Transcript
from notes_app.transcribe import models
from notes_app.usecases.files import read_notes

# Shorter files finish before a progress bar would tell the user anything.
PROGRESS_AFTER_SECONDS = 5.0


def print_transcript(transcript: Transcript) -> None:
    for seg in transcript.segments:
        click.echo(f"[{render.clock(seg.start)}] {render.said(seg)}")


@click.command("transcribe")
@click.argument("audio", type=click.Path(path_type=Path))
@click.option("--model", help="Model name (e.g. tiny.en, base.en) or a model folder.")
@click.option("--language", help="Language code such as en; 'auto' detects it.")
@click.option("--save", is_flag=True, help="Store the result as a meeting and print its id.")
@click.option("--title", help="Title of the saved meeting (default: the file name).")
@click.option(
    "--notes",
    "notes_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Your notes for the meeting, stored with it (with --save).",
)
@json_option
def transcribe_cmd(
    audio: Path,
    model: str | None,
    language: str | None,
    save: bool,
    title: str | None,
    notes_file: Path | None,
    as_json: bool,
) -> None:
    """Transcribe an audio file. A stereo file is a meeting: left = me, right = them."""
    if (title or notes_file) and not save:
        raise click.UsageError("--title and --notes only apply with --save.")
    app = get_app()
    notes = read_notes(notes_file) if notes_file else ""
    info = check(audio)  # a bad file fails here, before the model loads
    warning = info.warning(audio)
    if warning:
        click.secho(f"Warning: {warning}", fg="yellow", err=True)
    whisper = app.whisper(model, language)
    work = info.duration * (2 if info.channels == 2 else 1)
    taught: dict[str, Any] = {"notes": notes, "title": title or ""}  # teach the recogniser
    if info.duration > PROGRESS_AFTER_SECONDS:
        with progress_bar(f"Transcribing {audio.name}", work) as update:
            transcript = app.transcribe_file(
                audio, whisper, on_event=progress_events(update), **taught
            )
    else:
        transcript = app.transcribe_file(audio, whisper, **taught)
    meeting_id = None
    if save:
        meeting_id = app.save_transcribed(
            audio,
            transcript,
            title=title or audio.stem,
            duration=info.duration,  # what decodes, not what a damaged header says
            notes=notes,
        )
    if not transcript.segments:
        click.echo(f"No speech found in {audio}.", err=True)
    if as_json:
        out = transcript.to_dict()
        if meeting_id is not None:
            out["meeting_id"] = meeting_id
        print_json(out)
        return
    print_transcript(transcript)
    if meeting_id is not None:
        click.echo(f"Saved as meeting {meeting_id}.", err=True)
        click.echo(meeting_id)


@click.group("models")
def models_group() -> None:
    """Whisper models: which are installed, and fetching another one."""


@models_group.command("list")
@json_option
def models_list(as_json: bool) -> None:
    """List installed models, in the order names are looked up."""
    settings = get_app().settings
    found = models.list_installed(
        project_dir=models.default_project_dir(), home_models_dir=settings.models_dir
    )
    if as_json:
        print_json(
            {"models": [{"name": m.name, "path": str(m.path), "where": m.where} for m in found]}
        )
        return
    if not found:
        click.echo("No Whisper models installed. Run `notes-app models download tiny.en`.")
    for m in found:
        marker = "*" if m.name == settings.transcribe.model else " "
        click.echo(f"{marker} {m.name:<20} {m.where:<12} {m.path}")


@models_group.command("download")
@click.argument("name")
def models_download(name: str) -> None:
    """Download a model (needs the internet) into the data folder's models/ folder."""
    settings = get_app().settings
    with progress_bar(f"Downloading {name}", 1, unit="files") as update:
        path = models.download_model(name, settings.models_dir, on_progress=update)
    click.echo(f"Model {name} is in {path}. Use it with --model {name} or "
               f"`notes-app config set transcribe.model {name}`.")  # fmt: skip


COMMANDS = [transcribe_cmd, models_group]
