"""`notes-app calendar`: today's and upcoming events; add and remove calendars."""

from __future__ import annotations

from datetime import datetime
from itertools import groupby

import click

from notes_app.calendars.ics import CalendarEvent
from notes_app.cli.common import get_app, json_option, print_json
from notes_app.clock import day_label

NO_CALENDARS = (
    "No calendars yet. Add one with `notes-app calendar add URL|FILE`: a private iCal address "
    "(Google: Settings → your calendar → “Secret address in iCal format”; Outlook: a published "
    "calendar's ICS link) or an .ics file."
)


@click.group("calendar", invoke_without_command=True)
@click.option("--days", type=click.IntRange(0, 60), default=7, show_default=True)
@json_option
@click.pass_context
def calendar_group(ctx: click.Context, days: int, as_json: bool) -> None:
    """Today's and upcoming events from your calendars. A recording started within 10 minutes
    of an event takes its title and attendees."""
    if ctx.invoked_subcommand is not None:
        return
    app = get_app()
    if not app.calendars().sources():
        if as_json:
            print_json({"events": [], "problems": []})
        else:
            click.echo(NO_CALENDARS)
        return
    events, problems = app.upcoming_events(days)
    for problem in problems:
        click.secho(problem, fg="yellow", err=True)
    if as_json:
        print_json({"events": [e.to_dict() for e in events], "problems": problems})
        return
    if not events:
        click.echo(f"Nothing in your calendars today or in the next {days} days.")
    today = datetime.now().astimezone().date()
    for day, group in groupby(events, key=lambda e: e.start.astimezone().date()):
        click.secho(day_label(day, today), bold=True)
        for event in group:
            click.echo("  " + _event_line(event))


def _event_line(event: CalendarEvent) -> str:
    if event.all_day:
        when = "all day    "
    else:
        when = f"{event.start.astimezone():%H:%M}–{event.end.astimezone():%H:%M}"
    people = f" · {', '.join(event.attendees)}" if event.attendees else ""
    return f"{when}  {event.title}{people}"


@calendar_group.command("add")
@click.argument("source")
def add_cmd(source: str) -> None:
    """Add a calendar: a private iCal address (https://… or webcal://…) or an .ics file. It is
    read once now, so a wrong address is said at once."""
    added, upcoming = get_app().calendars().add(source)
    timed = [e for e in upcoming if not e.all_day]
    click.echo(
        f"Added “{added.name}” ({added.shown}) as {added.id}: {len(timed)} event(s) in the "
        "coming week."
    )


@calendar_group.command("remove")
@click.argument("calendar")
def remove_cmd(calendar: str) -> None:
    """Remove a calendar (its id or its number in `notes-app calendar sources`)."""
    removed = get_app().calendars().remove(calendar)
    click.echo(f"Removed “{removed.name}” ({removed.shown}).")


@calendar_group.command("sources")
@json_option
def sources_cmd(as_json: bool) -> None:
    """List the calendars added, with when each was last fetched."""
    found = get_app().calendars().sources()
    if as_json:
        print_json({"calendars": [s.to_dict() for s in found]})
        return
    if not found:
        click.echo(NO_CALENDARS)
    for n, s in enumerate(found, 1):
        fetched = f", fetched {s.fetched_at[:16].replace('T', ' ')} UTC" if s.fetched_at else ""
        click.echo(f"{n:>2}  {s.id}  {s.name}  ({s.shown}{fetched})")


COMMANDS = [calendar_group]
