"""Command line: thin. Parse, call the core, print text or --json.

The one place errors become output: a NotesAppError prints one line on stderr and exits
non-zero. Each area of the app keeps its commands in its own module here (listed in AREAS),
imported when a command is looked up: the window (`notes-app` alone, or `notes-app gui`) starts
without importing the other areas (the HTTP client, the share server, the LLM client).
"""

from __future__ import annotations

import importlib
import sys

import click

from notes_app import __version__
from notes_app.cli import gui
from notes_app.config import app_home
from notes_app.errors import NotesAppError
from notes_app.logs import setup_logging

# The modules of notes_app.cli whose COMMANDS make up the command line.
AREAS = (
    "core",
    "folders",
    "search",
    "transcribe",
    "importing",
    "llm",
    "demo",
    "enhance",
    "gui",
    "live",
    "share",
    "vault",
    "calendars",
    "agents",
)


class _Main(click.Group):
    """Loads the areas' commands when one is looked up or listed (see the module docstring)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        _load(AREAS)
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        _load(("gui",) if cmd_name == "gui" else AREAS)
        return super().get_command(ctx, cmd_name)

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


_loaded: set[str] = set()


def _load(areas: tuple[str, ...]) -> None:
    for area in areas:
        if area not in _loaded:
            module = importlib.import_module(f"notes_app.cli.{area}")
            for command in module.COMMANDS:
                main.add_command(command)
            _loaded.add(area)
