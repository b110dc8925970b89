"""`notes-app demo`: the whole chain on a sample meeting that ships with the app.

A two-voice stereo recording (left = me, right = them) and the terse notes typed during it are
transcribed with the bundled model, stored, enhanced offline and printed — what a new user sees
first, with no set-up, no network and no LLM.
"""

from __future__ import annotations

import click

from notes_app import render
from notes_app.cli.common import get_app, progress_bar, progress_events
from notes_app.sample import sample_info


@click.command("demo")
@click.option("--model", help="Whisper model to use instead of the configured one.")
def demo_cmd(model: str | None) -> None:
    """Transcribe, store and enhance a short sample meeting, then print the notes."""
    app = get_app()
    info = sample_info()
    whisper = app.whisper(model)
    click.echo(
        f"Transcribing a {info.duration:.0f} s sample meeting locally with {whisper.model} "
        "(left channel = you, right channel = them)…",
        err=True,
    )
    with progress_bar("Transcribing", info.duration * info.channels) as update:
        sample = app.demo(whisper, on_event=progress_events(update))
    click.echo(click.style("\nTranscript", bold=True))
    for seg in sample.transcript.segments:
        click.echo(click.style(f"[{render.clock(seg.start)}] ", fg="cyan") + render.said(seg))
    click.echo(click.style("\nYour notes, as typed during the call", bold=True))
    click.echo(sample.notes.rstrip())
    click.echo("")
    meeting = app.repo.get_meeting(sample.meeting_id)
    click.echo(render.notes_to_terminal(meeting, sample.enhanced), nl=False)
    mid = sample.meeting_id
    click.echo(
        f"\nStored as meeting {mid}. Try: notes-app show {mid} · "
        f"notes-app export {mid} --format html -o notes.html · notes-app list · "
        "notes-app (the window)"
    )


COMMANDS = [demo_cmd]
