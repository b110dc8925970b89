"""`notes-app vault sync`: every enhanced meeting written to the Markdown vault."""

from __future__ import annotations

from collections import Counter

import click

from notes_app.cli.common import get_app, json_option, print_json, progress_bar, progress_events
from notes_app.usecases.vault import NEW, UNCHANGED, UPDATED


@click.group("vault")
def vault_group() -> None:
    """The Markdown vault (`notes-app config set notes.vault FOLDER`, e.g. an Obsidian vault):
    each enhanced meeting as "YYYY-MM-DD Title.md", updated whenever it is enhanced again."""


@vault_group.command("sync")
@json_option
def sync_cmd(as_json: bool) -> None:
    """Write every enhanced meeting to the vault. Files already up to date stay as they are;
    a file edited in the vault is kept, and the notes are written beside it as "… (2).md"."""
    app = get_app()
    with progress_bar("Writing the vault", 1, unit="meetings") as update:
        done = app.vault_sync(on_event=progress_events(update))
    if as_json:
        print_json({"vault": str(app.settings.vault_path), "files": [w.to_dict() for w in done]})
        return
    for written in done:
        if written.kept is not None:
            click.secho(written.message, fg="yellow")
        elif written.status != UNCHANGED:
            click.echo(written.message)
    counts = Counter("kept" if w.kept is not None else w.status for w in done)
    click.echo(
        f"{counts[NEW]} written, {counts[UPDATED]} updated, {counts[UNCHANGED]} unchanged"
        + (f", {counts['kept']} beside a file kept as it is" if counts["kept"] else "")
        + f" in {app.settings.vault_path}."
    )


COMMANDS = [vault_group]
