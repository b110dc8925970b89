"""Folders and tags: move, tag, folders."""

from __future__ import annotations

import click

from notes_app.cli.common import get_app, json_option, print_json


@click.command("move")
@click.argument("meeting_id", type=int)
@click.argument("folder")
def move_cmd(meeting_id: int, folder: str) -> None:
    """Put a meeting in a folder, e.g. `notes-app move 3 Clients/Acme` (/ between a folder and
    the one inside it). `notes-app move 3 /` takes it out of any folder."""
    meeting = get_app().move_meeting(meeting_id, folder)
    where = f"the folder {meeting.folder}" if meeting.folder else "no folder"
    click.echo(f"Meeting {meeting.id} “{meeting.title}” is in {where}.")


@click.command("tag")
@click.argument("meeting_id", type=int)
@click.argument("tags", nargs=-1)
@click.option("--remove", "-r", "removed", multiple=True, help="Take this tag off (repeatable).")
def tag_cmd(meeting_id: int, tags: tuple[str, ...], removed: tuple[str, ...]) -> None:
    """Tag a meeting, e.g. `notes-app tag 3 pricing q3-planning`; with no tags, print its tags."""
    meeting = get_app().tag_meeting(meeting_id, tags, removed)
    shown = " ".join(f"#{t}" for t in meeting.tags) or "no tags"
    click.echo(f"Meeting {meeting.id} “{meeting.title}”: {shown}.")


@click.command("folders")
@json_option
def folders_cmd(as_json: bool) -> None:
    """List the folders that hold meetings, with how many each holds."""
    found = get_app().folders()
    if as_json:
        print_json({"folders": [{"folder": name, "meetings": n} for name, n in found]})
        return
    if not found:
        click.echo("No folders yet. Put a meeting in one with `notes-app move ID FOLDER`.")
    for name, n in found:
        click.echo(f"{n:>4}  {name}")


COMMANDS = [move_cmd, tag_cmd, folders_cmd]
