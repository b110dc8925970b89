"""Command line: thin. Parse, call the core, print text or --json.

The one place errors become output: a NotesAppError prints one line on stderr and exits
non-zero. Each area of the app keeps its commands in its own module here.
"""

from __future__ import annotations

import sys

import click

from notes_app import __version__
from notes_app.cli import (
    agents,
    calendars,
    core,
    demo,
    enhance,
    folders,
    gui,
    importing,
    live,
    llm,
    search,
    share,
    transcribe,
    vault,
)
from notes_app.config import app_home
from notes_app.errors import NotesAppError
from notes_app.logs import setup_logging


class _Main(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except NotesAppError as e:
            click.secho(f"Error: {e}", fg="red", err=True)
            sys.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)


@click.group(cls=_Main, invoke_without_command=True)
@click.version_option(__version__, prog_name="notes-app")
@click.option("--verbose", "-v", is_flag=True, help="Print the app's progress messages too.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """notes-app: your terse notes plus a local transcript become full, cited notes."""
    setup_logging(app_home(), verbose=verbose)
    if ctx.invoked_subcommand is None:
        gui.open_window()


_AREAS = (core, folders, search, transcribe, importing, llm, demo, enhance, gui, live, share)
for _module in (*_AREAS, vault, calendars, agents):
    for _command in _module.COMMANDS:
        main.add_command(_command)
