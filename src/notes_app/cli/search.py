"""Commands that look across meetings: search, ask, stats."""

from __future__ import annotations

from datetime import datetime, timedelta

import click

from notes_app import render
from notes_app.cli.common import get_app, json_option, print_json
from notes_app.store.search import Filters, SearchResult, search

_DATE = click.DateTime(formats=["%Y-%m-%d"])
# Matched words in bold yellow; click.echo drops the codes when output is not a terminal.
_HL_ON = click.style("", bold=True, fg="yellow", reset=False)
_HL_OFF = "\x1b[0m"


def day(value: datetime | None) -> str | None:
    return value.date().isoformat() if value else None


def day_after(value: datetime | None) -> str | None:
    """``--until`` is inclusive: meetings that start before the next day."""
    return (value.date() + timedelta(days=1)).isoformat() if value else None


@click.command("search")
@click.argument("query", nargs=-1, required=True)
@click.option("--since", type=_DATE, help="Only meetings on or after this day (YYYY-MM-DD).")
@click.option("--until", type=_DATE, help="Only meetings on or before this day (YYYY-MM-DD).")
@click.option("--meeting", "meeting_id", type=int, help="Only this meeting.")
@click.option("--speaker", help="Only what this speaker said: me, them, or a name.")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@json_option
def search_cmd(
    query: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    meeting_id: int | None,
    speaker: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Search titles, notes, enhanced notes and transcripts of every meeting.

    All words must match; a word typed last also matches as a prefix. Put "an exact phrase" in
    quotes and -word to leave out hits containing a word. In --json output, matched words in
    each snippet are wrapped in [square brackets].
    """
    app = get_app()
    if meeting_id is not None:
        app.repo.get_meeting(meeting_id)  # a clear error for a mistyped id, not "no results"
    filters = Filters(
        since=day(since), until=day_after(until), meeting_id=meeting_id, speaker=speaker
    )
    results = search(app.repo.db, " ".join(query), filters, limit=limit)
    if as_json:
        print_json({"results": [r.to_dict() for r in results]})
        return
    if not results:
        click.echo("No matches.")
        return
    for r in results:
        click.echo(_result_line(r))
        click.echo("      " + r.marked(_HL_ON, _HL_OFF))


def _result_line(r: SearchResult) -> str:
    when = (r.started_at or "")[:10]
    where = r.kind
    if r.kind == "transcript" and r.start is not None:
        who = f" {r.speaker}" if r.speaker else ""
        where = f"transcript [{render.clock(r.start)}] #{r.segment}{who}"
    return f"{r.meeting_id:>4}  {when}  {click.style(r.title, bold=True)}  · {where}"


COMMANDS = [search_cmd]
