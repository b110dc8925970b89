"""`notes-app gui`: open the desktop window (also what `notes-app` alone does)."""

from __future__ import annotations

import sys

import click


def open_window() -> None:
    """Run the window; Qt is imported only here, so the rest of the CLI never loads it."""
    from notes_app.gui.app import run

    code = run()
    if code:
        sys.exit(code)


@click.command("gui")
def gui_cmd() -> None:
    """Open the desktop app."""
    open_window()


COMMANDS = [gui_cmd]
