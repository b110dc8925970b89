"""`notes-app demo`: the whole chain on a sample meeting that ships with the app.

A two-voice stereo recording (left = me, right = them) and the terse notes typed during it are
transcribed with the bundled model, stored, enhanced offline and printed — what a new user sees
first, with no set-up, no network and no LLM.
"""

from __future__ import annotations

from importlib import resources

import click

from notes_app import render
from notes_app.audio.decode import probe
from notes_app.cli.common import get_app, progress_bar
from notes_app.cli.transcribe import build_engine, pick_language
from notes_app.enhance.offline import enhance_offline
from notes_app.transcribe.save import save_transcribed_meeting

SAMPLE_TITLE = "Demo: Q2 review with Sarah"


@click.command("demo")
@click.option("--model", help="Whisper model to use instead of the configured one.")
def demo_cmd(model: str | None) -> None:
    """Transcribe, store and enhance a short sample meeting, then print the notes."""
    app = get_app()
    sample = resources.files("notes_app.resources") / "sample"
    notes = (sample / "notes.md").read_text(encoding="utf-8")
    with resources.as_file(sample / "meeting.ogg") as audio:
        info = probe(audio)
        engine, model_name = build_engine(app.settings, model)
        language = pick_language(None, app.settings, model_name)
        click.echo(
            f"Transcribing a {info.duration:.0f} s sample meeting locally with {model_name} "
            "(left channel = you, right channel = them)…",
            err=True,
        )
        with progress_bar("Transcribing", info.duration * info.channels) as update:
            transcript = engine.transcribe_file(audio, language=language, on_progress=update)
        meeting_id = save_transcribed_meeting(
            app.repo,
            audio_dir=app.settings.audio_dir,
            source=audio,
            transcript=transcript,
            duration=info.duration,
            title=SAMPLE_TITLE,
            notes=notes,
        )
    click.echo(click.style("\nTranscript", bold=True))
    for seg in transcript.segments:
        who = f"{seg.speaker}: " if seg.speaker else ""
        click.echo(click.style(f"[{render.clock(seg.start)}] ", fg="cyan") + who + seg.text)
    click.echo(click.style("\nYour notes, as typed during the call", bold=True))
    click.echo(notes.rstrip())
    click.echo("")
    enhanced = app.repo.add_enhanced(
        enhance_offline(transcript, notes, meeting_id=meeting_id, title=SAMPLE_TITLE)
    )
    click.echo(render.notes_to_terminal(app.repo.get_meeting(meeting_id), enhanced), nl=False)
    click.echo(
        f"\nStored as meeting {meeting_id}. Try: notes-app show {meeting_id} · "
        f"notes-app export {meeting_id} --format html -o notes.html · notes-app list"
    )


COMMANDS = [demo_cmd]
