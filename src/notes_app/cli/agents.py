"""`notes-app mcp`: the meetings served to AI agents over the Model Context Protocol."""

from __future__ import annotations

import click

from notes_app.cli.common import get_app
from notes_app.errors import NotesAppError

INSTALL_MCP = (
    "The MCP server needs the `mcp` package, which is not installed. Install it with "
    "`pip install 'notes-app[mcp]'` (or `pip install 'mcp>=2.3,<3'`), then run `notes-app mcp` "
    "again."
)


@click.command("mcp")
def mcp_cmd() -> None:
    """Serve your meetings to an AI agent over MCP (stdin/stdout), read-only.

    Tools: list_meetings, get_meeting, search, ask; each meeting is also the resource
    notes://meeting/ID. An MCP client starts it as {"command": "notes-app", "args": ["mcp"]}.
    """
    try:
        from notes_app.mcp_server import serve
    except ModuleNotFoundError as e:
        if e.name and (e.name == "mcp" or e.name.startswith("mcp.")):
            raise NotesAppError(INSTALL_MCP) from None
        raise
    app = get_app()
    app.repo  # noqa: B018 - open the database now: a damaged or unreadable one is said at once
    serve(app)


COMMANDS = [mcp_cmd]
