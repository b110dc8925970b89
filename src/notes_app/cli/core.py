"""Commands over stored meetings: config, list, show, export, delete."""

from __future__ import annotations

from pathlib import Path

import click

from notes_app import config as cfg
from notes_app import render
from notes_app.cli.common import get_app, json_option, print_json


@click.group("config")
def config_group() -> None:
    """Read and change settings (stored in settings.toml in the data folder)."""


@config_group.command("get")
@click.argument("key", required=False)
def config_get(key: str | None) -> None:
    """Print one setting, or all of them. Secrets are masked."""
    settings = get_app().settings
    keys = [key] if key else cfg.all_keys()
    for k in keys:
        value = cfg.get_value(settings, k)
        if k in cfg.SECRET_KEYS:
            value = cfg.mask(str(value))
        if key:
            click.echo(value)
        else:
            click.echo(f"{k} = {value}")


# Unknown options are values: `config set llm.timeout -1` gets the setting's own error.
@config_group.command("set", context_settings={"ignore_unknown_options": True})
@click.argument("key")
@click.argument("value")
def config_set(key: str, value: str) -> None:
    """Change a setting, e.g. `notes-app config set llm.base_url http://localhost:11434/v1`."""
    # Not through get_app(): a bad value of another key in settings.toml must not stop this one.
    stored = cfg.save_setting(cfg.app_home(), key, value)
    shown = cfg.mask(str(stored)) if key in cfg.SECRET_KEYS else stored
    click.echo(f"{key} = {shown}")


@config_group.command("path")
def config_path() -> None:
    """Print the data folder (set NOTES_APP_HOME to move it)."""
    click.echo(cfg.app_home())


@click.command("list")
@json_option
def list_cmd(as_json: bool) -> None:
    """List meetings, newest first."""
    meetings = get_app().repo.list_meetings()
    if as_json:
        print_json({"meetings": [m.to_dict() for m in meetings]})
        return
    if not meetings:
        click.echo(
            "No meetings yet. Try `notes-app demo`, `notes-app import` or `notes-app record`."
        )
        return
    for m in meetings:
        when = (m.started_at or "")[:16].replace("T", " ")
        dur = render.clock(m.duration) if m.duration else "--:--"
        state = "" if m.status == "done" else f"  ({m.status})"
        click.echo(f"{m.id:>4}  {when}  {dur:>7}  {m.title}{state}")


@click.command("show")
@click.argument("meeting_id", type=int)
@click.option("--version", type=int, help="Show an earlier version of the enhanced notes.")
@click.option("--raw", is_flag=True, help="Show the notes as typed and the transcript.")
@click.option(
    "--notes", "notes_only", is_flag=True, help="Print only the notes, exactly as typed and saved."
)
def show_cmd(meeting_id: int, version: int | None, raw: bool, notes_only: bool) -> None:
    """Show a meeting's enhanced notes (AI text dimmed, citations as [mm:ss])."""
    repo = get_app().repo
    meeting = repo.get_meeting(meeting_id)
    if notes_only:
        click.echo(meeting.notes, nl=False)  # byte for byte: no added newline, no styling
        return
    notes = None if raw else repo.get_enhanced(meeting_id, version)
    if notes is None:
        click.echo(render.raw_notes_view(meeting, repo.get_transcript(meeting_id)), nl=False)
        if not raw:
            click.echo(f"\nNot enhanced yet: run `notes-app enhance {meeting_id}`.", err=True)
        return
    click.echo(render.notes_to_terminal(meeting, notes), nl=False)


@click.command("export")
@click.argument("meeting_id", type=int)
@click.option(
    "--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--version", type=int, help="Export an earlier version of the enhanced notes.")
def export_cmd(meeting_id: int, fmt: str, output: Path | None, version: int | None) -> None:
    """Export enhanced notes as Markdown, one self-contained HTML file, or JSON."""
    app = get_app()
    if output is None:
        click.echo(app.export(meeting_id, fmt, version=version), nl=False)
        return
    app.export_file(meeting_id, fmt, output, version=version)
    click.echo(f"Wrote {output}", err=True)


@click.command("delete")
@click.argument("meeting_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete_cmd(meeting_id: int, yes: bool) -> None:
    """Delete a meeting with its notes, transcript and audio; its share links are revoked."""
    app = get_app()
    meeting = app.repo.get_meeting(meeting_id)
    if not yes:
        links = app.live_links(meeting_id)
        also = f" and revoke its {links} share link(s)" if links else ""
        click.confirm(
            f"Delete meeting {meeting_id} ({meeting.title!r}) with its notes, transcript "
            f"and audio{also}?",
            abort=True,
        )
    done = app.delete_meeting(meeting_id)
    extra = f" and {done.removed_audio.name}" if done.removed_audio else ""
    revoked = f"; revoked {done.revoked_links} share link(s)" if done.revoked_links else ""
    click.echo(f"Deleted meeting {meeting_id}{extra}{revoked}.")


@click.command("repair")
@json_option
def repair_cmd(as_json: bool) -> None:
    """Check the database and mend it. A sound one gets its search index rebuilt. A damaged one
    is replaced by a new database holding everything that can still be read (meetings, notes,
    transcripts, enhanced notes), and the damaged file is kept beside it. Close the window
    first."""
    report = get_app().repair()
    if as_json:
        print_json(
            {
                "sound": report.sound,
                "problems": list(report.problems),
                "kept": str(report.kept) if report.kept else None,
                "saved": dict(report.saved),
                "from_index": dict(report.from_index),
                "lost": report.unplaced + sum(report.skipped.values()),
            }
        )
        return
    click.echo(report.summary())


COMMANDS = [config_group, list_cmd, show_cmd, export_cmd, delete_cmd, repair_cmd]
