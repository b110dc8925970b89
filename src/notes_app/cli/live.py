"""Live capture from the command line: `devices`, `record`, `recover`, `watch`."""

from __future__ import annotations

import json
import signal
import threading
import time
from datetime import datetime
from pathlib import Path

import click

from notes_app.audio.detect import MeetingDetector, MeetingEvent, mic_users_for_platform
from notes_app.cli.common import get_app, json_option, print_json, progress_bar, progress_events
from notes_app.domain import CHANNEL_SPEAKER, Segment
from notes_app.errors import NotesAppError
from notes_app.render import said
from notes_app.session import SessionListener, seconds_label
from notes_app.usecases.files import read_notes

BEHIND_WARNING = 5.0  # seconds of transcript backlog worth telling the user about


def _emit(as_json: bool, event: str, text: str | None = None, *, err: bool = False, **data):
    """One line of output: JSON events on stdout with --json, else ``text``.

    ``data`` may hold a ``fields`` dict (e.g. a segment's, which has its own "text").
    """
    if as_json:
        fields = {**data.pop("fields", {}), **data}
        click.echo(json.dumps({"event": event, **fields}, ensure_ascii=False))
    elif text is not None:
        click.echo(text, err=err)


class _Printer(SessionListener):
    """Prints what the recording reports: lines as they are committed, warnings, backlog."""

    def __init__(self, as_json: bool):
        self.as_json = as_json
        self.told_behind = 0.0

    def on_segment(self, segment: Segment) -> None:
        line = f"{seconds_label(segment.start)} {said(segment)}"
        _emit(self.as_json, "segment", line, fields=segment.to_dict())

    def on_warning(self, message: str) -> None:
        _emit(self.as_json, "warning", message, err=True, message=message)

    def on_error(self, error: NotesAppError) -> None:
        _emit(self.as_json, "error", f"Warning: {error}", err=True, message=str(error))

    def on_catching_up(self, behind: bool) -> None:
        text = "transcript catching up (faster, rougher)" if behind else "transcript caught up"
        _emit(self.as_json, "catching_up", text, err=True, behind=behind)

    def on_backlog(self, seconds: float) -> None:
        now = time.monotonic()
        if seconds >= BEHIND_WARNING and now - self.told_behind >= BEHIND_WARNING:
            self.told_behind = now
            _emit(
                self.as_json,
                "backlog",
                f"transcript {seconds:.0f} s behind",
                err=True,
                seconds=round(seconds, 1),
            )


@click.command()
@json_option
def devices(as_json: bool) -> None:
    """List audio inputs and say which mic and system-audio source `record` would use."""
    inputs, choice = get_app().devices()
    if as_json:
        print_json({"inputs": [d.to_dict() for d in inputs], **choice.to_dict()})
        return
    for d in inputs:
        mark = "*" if d.is_default else " "
        kind = "system audio" if d.kind == "monitor" else "input"
        click.echo(f"{mark} {d.name}  ({d.label}; {kind})")
    click.echo(f"Mic (me):            {choice.mic.name if choice.mic else 'none'}")
    click.echo(f"System audio (them): {choice.system.name if choice.system else 'none'}")
    for problem in choice.problems:
        click.secho(problem, fg="yellow", err=True)


def _stop_signals(stop: threading.Event) -> None:
    """Ctrl-C and SIGTERM end the recording cleanly (drain, store) instead of killing it."""

    def handler(signum, frame) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


@click.command()
@click.option("--title", help="Meeting title (default: 'Meeting' and the date and time).")
@click.option("--duration", type=click.FloatRange(min=0.5), help="Stop after this many seconds.")
@click.option(
    "--notes",
    "notes_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file with notes to store with the meeting.",
)
@click.option("--mic", help="Mic device name (see `notes-app devices`), or 'none'.")
@click.option("--system", help="System-audio device name, or 'none'.")
@click.option("--model", help="Whisper model name or folder (default: the configured one).")
@click.option(
    "--final-pass/--no-final-pass",
    default=True,
    help="After stopping, transcribe the whole recording again for a better transcript "
    "(default: on; Ctrl-C skips it and keeps the live one).",
)
@json_option
def record(title, duration, notes_file, mic, system, model, final_pass, as_json) -> None:
    """Record a meeting: your mic as "me", the system audio as "them", transcribed live.

    Stops on Ctrl-C, SIGTERM or --duration, finishes the transcript, and prints the meeting id.
    """
    app = get_app()
    notes = read_notes(notes_file) if notes_file else ""
    printer = _Printer(as_json)
    session = app.record_session(printer, model=model, mic=mic, system=system)
    capture = session.capture
    stop = threading.Event()
    _stop_signals(stop)
    titled = title is not None
    title = title or datetime.now().strftime("Meeting %Y-%m-%d %H:%M")
    meeting_id = session.start(title, notes)
    sides = ", ".join(f"{CHANNEL_SPEAKER[ch]} = {d.name}" for ch, d in capture.devices.items())
    _emit(
        as_json,
        "started",
        f"Recording meeting {meeting_id} ({sides}). Ctrl-C to stop.",
        err=True,
        meeting_id=meeting_id,
        channels={CHANNEL_SPEAKER[ch]: d.name for ch, d in capture.devices.items()},
    )
    event = app.name_from_calendar(meeting_id, keep_title=titled)  # within 10 min of an event
    if event is not None:
        who = f" with {', '.join(event.attendees)}" if event.attendees else ""
        said = f"From your calendar: “{event.title}”{who}."
        _emit(as_json, "calendar", said, err=True, title=event.title, attendees=event.attendees)
    began = time.monotonic()
    while not stop.wait(0.2):
        if duration is not None and time.monotonic() - began >= duration:
            break
    _emit(as_json, "stopping", "Stopping; finishing the transcript…", err=True)
    meeting = session.stop()
    count = app.repo.segment_count(meeting_id)
    _emit(
        as_json,
        "done",
        f"Saved meeting {meeting.id}: {count} segments, "
        f"{meeting.duration or 0:.0f} s, audio {meeting.audio_path}.",
        err=True,
        meeting=meeting.to_dict(),
        segments=count,
    )
    if final_pass and meeting.audio_path:
        _final_pass(app, meeting, as_json)
    if not as_json:
        click.echo(meeting.id)


def _final_pass(app, meeting, as_json: bool) -> None:
    """The whole recording transcribed again; Ctrl-C cancels it and keeps the live text."""
    cancelled = threading.Event()
    _stop_signals(cancelled)
    _emit(
        as_json,
        "final_pass",
        "Final pass over the recording (Ctrl-C keeps the live transcript)…",
        err=True,
    )
    try:
        with progress_bar("Final pass", 2 * (meeting.duration or 1)) as update:
            final = app.finalize_recording(meeting.id, on_progress=update, cancel=cancelled.is_set)
    except NotesAppError as e:  # cancelled, or the audio could not be read: the live text stays
        _emit(as_json, "final_pass_skipped", f"Warning: {e}", err=True, message=str(e))
        return
    _emit(
        as_json,
        "final_pass_done",
        f"Final transcript: {len(final.segments)} segments.",
        err=True,
        segments=len(final.segments),
    )


@click.command()
@click.option("--model", help="Whisper model name or folder (default: the configured one).")
@json_option
def recover(model, as_json) -> None:
    """Finish meetings whose recording was cut off (crash, kill, power loss)."""
    app = get_app()
    removed = app.remove_leftovers()
    if removed:
        click.echo(
            f"Removed {len(removed)} leftover audio file(s) of saves that were cut off.",
            err=as_json,
        )
    todo = app.unfinished()
    if not todo:
        if as_json:
            print_json([])
        elif not removed:
            click.echo("Nothing to recover.")
        return
    whisper = app.whisper(model)
    done = []
    for meeting in todo:
        kept = app.repo.segment_count(meeting.id)
        with progress_bar(f"Recovering meeting {meeting.id}", 1) as update:
            finished = app.recover(meeting, whisper, on_event=progress_events(update))
        total = app.repo.segment_count(meeting.id)
        done.append({"meeting": finished.to_dict(), "kept": kept, "added": total - kept})
        if not as_json:
            click.echo(
                f"Recovered meeting {finished.id} ({finished.title}): kept {kept} segments, "
                f"added {total - kept}, audio {finished.audio_path}."
            )
    if as_json:
        print_json(done)


@click.command()
@click.option(
    "--min-hold",
    type=float,
    default=15.0,
    show_default=True,
    help="Seconds a call app must hold the mic before it counts as a meeting.",
)
@click.option(
    "--cooldown",
    type=float,
    default=300.0,
    show_default=True,
    help="Seconds before the same app may start a meeting again.",
)
@click.option(
    "--interval", type=float, default=2.0, show_default=True, help="Seconds between checks."
)
@click.option("--count", type=int, help="Exit after this many events.")
@json_option
def watch(min_hold, cooldown, interval, count, as_json) -> None:
    """Print "meeting started (app)" / "meeting ended" as call apps take and release the mic.

    It never records by itself; start `notes-app record` when it says a meeting started.
    """
    detector = MeetingDetector(mic_users_for_platform(), min_hold=min_hold, cooldown=cooldown)
    stop = threading.Event()
    _stop_signals(stop)
    seen = {"n": 0}

    def on_event(event: MeetingEvent) -> None:
        seen["n"] += 1
        _emit(as_json, event.to_dict()["event"], str(event), app=event.app)
        if count is not None and seen["n"] >= count:
            stop.set()

    if not as_json:
        click.echo("Watching for meetings (Ctrl-C to stop)…", err=True)
    while not stop.is_set():
        for event in detector.poll():
            on_event(event)
            if stop.is_set():
                break
        stop.wait(interval)


COMMANDS = [devices, record, recover, watch]
