"""Commands over stored meetings: config, list, show, export, delete."""

from __future__ import annotations

from pathlib import Path

import click

from notes_app import config as cfg
from notes_app import render
from notes_app.app import App
from notes_app.cli.common import get_app, json_option, print_json
from notes_app.errors import NotesAppError
from notes_app.store.folders import tag_name


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
@click.option("--folder", help='Only meetings in this folder or one inside it ("/": in none).')
@click.option("--tag", help="Only meetings with this tag.")
@json_option
def list_cmd(folder: str | None, tag: str | None, as_json: bool) -> None:
    """List meetings, newest first."""
    meetings = get_app().meetings(folder=folder)
    if tag is not None:
        meetings = [m for m in meetings if tag_name(tag) in m.tags]
    if as_json:
        print_json({"meetings": [m.to_dict() for m in meetings]})
        return
    if not meetings:
        if folder is not None or tag is not None:
            click.echo("No meetings there. `notes-app folders` lists your folders.")
            return
        click.echo(
            "No meetings yet. Try `notes-app demo`, `notes-app import` or `notes-app record`."
        )
        return
    for m in meetings:
        when = (m.started_at or "")[:16].replace("T", " ")
        dur = render.clock(m.duration) if m.duration else "--:--"
        state = "" if m.status == "done" else f"  ({m.status})"
        where = f"  [{m.folder}]" if m.folder else ""
        tags = "".join(f" #{t}" for t in m.tags)
        click.echo(f"{m.id:>4}  {when}  {dur:>7}  {m.title}{state}{where}{tags}")


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
@click.argument("meeting_id", type=int, required=False)
@click.option(
    "--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True
)
@click.option("-o", "--output", type=click.Path(path_type=Path))
@click.option("--version", type=int, help="Export an earlier version of the enhanced notes.")
@click.option(
    "--folder", help="Export every meeting in this folder, one file each, into the -o folder."
)
def export_cmd(
    meeting_id: int | None, fmt: str, output: Path | None, version: int | None, folder: str | None
) -> None:
    """Export enhanced notes as Markdown, one self-contained HTML file, or JSON.

    With --folder, each enhanced meeting in that folder is written to the folder given with -o
    as "YYYY-MM-DD Title.md" (or .html, .json).
    """
    app = get_app()
    if folder is not None:
        _export_folder(app, meeting_id, folder, fmt, output, version)
        return
    if meeting_id is None:
        raise NotesAppError(
            "Say what to export: `notes-app export MEETING_ID` (see `notes-app list`), or "
            "`notes-app export --folder FOLDER -o DIR`."
        )
    if output is not None and output.is_dir():
        raise NotesAppError(
            f"{output} is a folder: give a file name, e.g. -o {output}/notes.{fmt}."
        )
    if output is None:
        click.echo(app.export(meeting_id, fmt, version=version), nl=False)
        return
    app.export_file(meeting_id, fmt, output, version=version)
    click.echo(f"Wrote {output}", err=True)


def _export_folder(
    app: App,
    meeting_id: int | None,
    folder: str,
    fmt: str,
    output: Path | None,
    version: int | None,
) -> None:
    if meeting_id is not None or version is not None:
        raise NotesAppError(
            "--folder exports the latest notes of every meeting in a folder: leave out the "
            "meeting id and --version."
        )
    if output is None:
        raise NotesAppError(
            f"Say where to write the files: `notes-app export --folder {folder} -o DIR`."
        )
    done = app.export_folder(folder, fmt, output)
    for _meeting, path in done.written:
        click.echo(f"Wrote {path}", err=True)
    for meeting in done.not_enhanced:
        click.echo(
            f"Skipped meeting {meeting.id} “{meeting.title}”: not enhanced yet "
            f"(`notes-app enhance {meeting.id}`).",
            err=True,
        )


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
