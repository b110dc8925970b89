"""Commands that look across meetings: search, ask, stats."""

from __future__ import annotations

from datetime import datetime, timedelta

import click

from notes_app import render
from notes_app.ask import Answer
from notes_app.cli.common import get_app, json_option, print_json
from notes_app.errors import NotesAppError
from notes_app.stats import Stats, compute_stats
from notes_app.store.chat import ChatStore
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


# A word typed with a leading dash is part of the query (-word leaves hits out), not an option.
_DASH_WORDS = {"ignore_unknown_options": True}


def query_words(words: tuple[str, ...]) -> str:
    """The query typed: words joined. A mistyped long option (--sinec) is named, not searched."""
    for word in words:
        if word.startswith("--") and len(word) > 2:
            raise click.NoSuchOption(word.split("=", 1)[0])
    return " ".join(words)


@click.command("search", context_settings=_DASH_WORDS)
@click.argument("query", nargs=-1, required=True)
@click.option("--since", type=_DATE, help="Only meetings on or after this day (YYYY-MM-DD).")
@click.option("--until", type=_DATE, help="Only meetings on or before this day (YYYY-MM-DD).")
@click.option("--meeting", "meeting_id", type=int, help="Only this meeting.")
@click.option("--speaker", help="Only what this speaker said: me, them, or a name.")
@click.option("--folder", help="Only meetings in this folder or one inside it.")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@json_option
def search_cmd(
    query: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    meeting_id: int | None,
    speaker: str | None,
    folder: str | None,
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
        since=day(since),
        until=day_after(until),
        meeting_id=meeting_id,
        speaker=speaker,
        folder=folder,
    )
    results = search(app.repo.db, query_words(query), filters, limit=limit)
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


@click.command("ask")
@click.argument("words", nargs=-1)
@click.option("--all", "all_meetings", is_flag=True, help="Ask across every meeting (default).")
@click.option("--since", type=_DATE, help="Ask across meetings on or after this day.")
@click.option("--folder", help="Ask across the meetings in this folder (and folders inside it).")
@click.option(
    "--llm/--offline",
    "use_llm",
    default=None,
    help="Answer with the configured LLM, or offline with the best passages. "
    "Default: the LLM when one is configured.",
)
@click.option("--history", is_flag=True, help="Show the questions asked before, and their answers.")
@json_option
def ask_cmd(
    words: tuple[str, ...],
    all_meetings: bool,
    since: datetime | None,
    folder: str | None,
    use_llm: bool | None,
    history: bool,
    as_json: bool,
) -> None:
    """Ask a question of one meeting (give its id first) or of all of them.

    Answers cite the moments they come from. Example: notes-app ask 3 what did we promise Acme
    """
    app = get_app()
    across = all_meetings or since is not None or folder is not None
    meeting_id, question = _split_question(words, across, history)
    if meeting_id is not None:
        app.repo.get_meeting(meeting_id)
    if history:
        _print_history(app.repo.chat, meeting_id, as_json)
        return
    if not question:
        raise click.UsageError("Give a question, e.g. `notes-app ask 3 what did we decide`.")
    filters = Filters(since=day(since), meeting_id=meeting_id, folder=folder)
    answer = app.ask(question, filters, use_llm=use_llm)
    if as_json:
        print_json(answer.to_dict())
    else:
        click.echo(_answer_text(answer))


def _split_question(words: tuple[str, ...], across: bool, history: bool) -> tuple[int | None, str]:
    """A leading number is a meeting id, unless asking across meetings."""
    if not across and words and words[0].isdigit() and (len(words) > 1 or history):
        return int(words[0]), " ".join(words[1:]).strip()
    if not across and len(words) == 1 and words[0].isdigit():
        raise NotesAppError(
            f"Only a meeting id was given. Add a question: `notes-app ask {words[0]} what was "
            "decided`, or use --history to see earlier questions."
        )
    return None, " ".join(words).strip()


def _answer_text(answer: Answer) -> str:
    if answer.mode == "offline" or not answer.citations:
        return answer.text
    lines = [answer.text, ""]
    for n, c in enumerate(answer.citations, 1):
        where = f"meeting {c.meeting_id} {c.title}".rstrip()
        at = f" at {render.clock(c.start)}, segment {c.segment}" if c.segment is not None else ""
        lines.append(click.style(f"[{n}] {where}{at}", fg="cyan"))
    return "\n".join(lines)


def _print_history(chats: ChatStore, meeting_id: int | None, as_json: bool) -> None:
    exchanges = chats.history(meeting_id)
    if as_json:
        print_json({"meeting_id": meeting_id, "history": [e.to_dict() for e in exchanges]})
        return
    if not exchanges:
        click.echo("No questions asked yet.")
    for e in exchanges:
        click.echo(
            click.style(f"Q ({e.created_at[:16].replace('T', ' ')}): {e.question}", bold=True)
        )
        click.echo(e.answer + "\n")


@click.command("stats")
@click.option("--since", type=_DATE, help="Only meetings on or after this day (YYYY-MM-DD).")
@json_option
def stats_cmd(since: datetime | None, as_json: bool) -> None:
    """Time in meetings per week, meetings per weekday, talk share, top people and terms."""
    stats = compute_stats(get_app().repo.db, day(since))
    if as_json:
        print_json(stats.to_dict())
    else:
        click.echo(_stats_text(stats))


def _stats_text(s: Stats) -> str:
    if not s.meetings:
        return "No meetings in this period."
    out = [click.style(f"{s.meetings} meetings, {s.total_hours:.1f} hours", bold=True), ""]
    out.append("Hours per week:")
    top = max((h for _, h in s.hours_per_week), default=0) or 1
    out += [f"  {w}  {h:6.1f}  {'█' * round(20 * h / top)}" for w, h in s.hours_per_week]
    out.append("Meetings per weekday:")
    out.append("  " + "  ".join(f"{d} {n}" for d, n in s.meetings_per_weekday))
    share = s.talk_overall.me_share
    if share is not None:
        out.append(f"Talk share: you {share:.0%}, others {1 - share:.0%} (over all meetings)")
        for t in s.talk:
            if t.me_share is not None:
                out.append(f"  {t.meeting_id:>4}  you {t.me_share:>4.0%}  {t.title}")
    if s.top_people:
        out.append("People: " + ", ".join(f"{n} ({c})" for n, c in s.top_people))
    if s.top_terms:
        out.append("Terms: " + ", ".join(f"{t} ({c})" for t, c in s.top_terms))
    return "\n".join(out)


COMMANDS = [search_cmd, ask_cmd, stats_cmd]
