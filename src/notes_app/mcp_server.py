"""notes-app as an MCP server: AI agents read the meetings over stdio (the official ``mcp`` SDK).

Read-only: the tools ``list_meetings``, ``get_meeting``, ``search`` and ``ask``, and each meeting
as the resource ``notes://meeting/ID`` (Markdown). Nothing here changes a meeting; ``ask`` keeps
the question in the ask history, as asking in the window does.

Every call runs on a worker thread with a database connection of its own
(``App.on_this_thread``), so a slow answer does not hold up a listing. A NotesAppError reaches
the agent as an MCP error carrying the app's sentence: from a tool as a result marked
``isError`` (what the MCP specification asks for, so the model reads it and can correct its
call), from a resource as a JSON-RPC error.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import timezone
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.types import Resource, ToolAnnotations
from pydantic import Field

from notes_app import __version__, render
from notes_app.app import App
from notes_app.clock import clock, human_date, local_time
from notes_app.domain import Block, EnhancedNotes, Meeting, Segment, Transcript
from notes_app.errors import MeetingNotFound, NotesAppError
from notes_app.store.search import Filters
from notes_app.textkit import speaker_label
from notes_app.usecases.reading import parse_since

log = logging.getLogger(__name__)

URI_PREFIX = "notes://meeting/"
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)

INSTRUCTIONS = (
    "The user's meetings from notes-app: their notes as typed, enhanced notes whose added lines "
    "cite the transcript as [mm:ss], and the transcripts. Find meetings with list_meetings or "
    "search, read one with get_meeting (or the resource notes://meeting/ID), and ask questions "
    "across meetings with ask. In enhanced notes, source 'user' lines are the user's own words "
    "and source 'ai' lines were added from the transcript."
)

T = TypeVar("T")


def meeting_uri(meeting_id: int) -> str:
    return f"{URI_PREFIX}{meeting_id}"


# --- what the tools return ----------------------------------------------------------------------


def meeting_summary(m: Meeting) -> dict[str, Any]:
    return {
        "id": m.id,
        "title": m.title,
        "started_at": m.started_at,
        "duration_seconds": round(m.duration, 1) if m.duration else None,
        "attendees": list(m.attendees),
        "folder": m.folder,
        "tags": list(m.tags),
        "status": m.status,
        "uri": meeting_uri(m.id),
    }


def _citation(c: Any) -> dict[str, Any]:
    return {"segment": c.segment, "at": clock(c.start), "start": round(c.start, 3)}


def block_dict(b: Block) -> dict[str, Any]:
    d: dict[str, Any] = {"type": b.type, "text": b.shown_text, "source": b.source}
    if b.type == "heading" or b.level != 1:
        d["level"] = b.level
    if b.citations:
        d["citations"] = [_citation(c) for c in b.citations]
    if b.source == "ai" and not b.verified:
        d["verified"] = False  # its facts were not found in what it cites
    return d


def enhanced_dict(notes: EnhancedNotes) -> dict[str, Any]:
    return {
        "version": notes.version,
        "mode": notes.mode,
        "model": notes.model,
        "created_at": notes.created_at,
        "blocks": [block_dict(b) for b in notes.blocks],
    }


def segment_dict(s: Segment) -> dict[str, Any]:
    return {
        "segment": s.index,
        "at": clock(s.start),
        "start": round(s.start, 3),
        "speaker": speaker_label(s.speaker) or None,
        "text": s.text,
    }


def meeting_markdown(meeting: Meeting, notes: EnhancedNotes | None, transcript: Transcript) -> str:
    """One meeting as Markdown: the enhanced notes (AI lines in italics behind "AI:", with
    [mm:ss] citations), else the notes as typed; then the transcript."""
    if notes is not None:
        head = render.notes_to_markdown(meeting, notes).rstrip()
    else:
        head = f"# {meeting.title}"
        meta = " · ".join(x for x in (_when(meeting), ", ".join(meeting.attendees)) if x)
        if meta:
            head += f"\n\n{meta}"
        head += "\n\n## Notes (as typed, not enhanced yet)\n\n" + (
            meeting.notes.rstrip() or "_No notes were typed._"
        )
    lines = [f"[{clock(s.start)}] {render.said(s)}" for s in transcript.segments]
    body = "\n\n".join(lines) if lines else "_No transcript._"
    return f"{head}\n\n## Transcript\n\n{body}\n"


# --- the server ---------------------------------------------------------------------------------


class NotesServer(MCPServer):
    """An MCPServer whose resource list is the meetings stored at the moment it is asked."""

    def __init__(self, app: App, **kwargs: Any):
        super().__init__(**kwargs)
        self.app = app

    async def list_resources(self) -> list[Resource]:
        meetings = await anyio.to_thread.run_sync(lambda: reading(self.app, App.meetings))
        return [
            Resource(
                uri=meeting_uri(m.id),
                name=f"meeting-{m.id}",
                title=m.title,
                description=_resource_description(m),
                mime_type="text/markdown",
            )
            for m in meetings
        ]


def _when(m: Meeting) -> str:
    when = local_time(m.started_at)
    return human_date(when, weekday=True, time=True) if when else ""


def _resource_description(m: Meeting) -> str:
    parts = [x for x in (_when(m), ", ".join(m.attendees)) if x]
    return " · ".join(parts) or m.title


def reading(app: App, job: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``job(own_app, …)`` on this thread's own connection to the database."""
    with app.on_this_thread() as own:
        return job(own, *args, **kwargs)


def _tool(fn: Callable[..., T]) -> Callable[..., T]:
    """A tool whose NotesAppError reaches the agent as a tool error with the app's sentence."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except NotesAppError as e:
            raise ToolError(str(e)) from None

    return wrapper


MeetingId = Annotated[int, Field(description="A meeting's id, as list_meetings or search give it.")]
Folder = Annotated[
    str | None,
    Field(description='Only meetings in this folder or a folder inside it ("/": in no folder).'),
]
Since = Annotated[
    str | None,
    Field(
        description="Only meetings started on or after this day (YYYY-MM-DD) or time (ISO 8601)."
    ),
]


def build_server(app: App) -> NotesServer:
    """The MCP server over ``app``'s meetings; ``serve`` runs it on stdin and stdout."""
    server = NotesServer(
        app, name="notes-app", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
    )

    @server.tool(annotations=READ_ONLY, structured_output=True)
    @_tool
    def list_meetings(
        since: Since = None,
        folder: Folder = None,
        attendee: Annotated[
            str | None,
            Field(description="Only meetings with an attendee whose name contains this."),
        ] = None,
        limit: Annotated[int, Field(ge=1, le=1000, description="At most this many.")] = 50,
    ) -> dict[str, Any]:
        """List the user's meetings, newest first: id, title, start (UTC), length, attendees,
        folder and tags."""

        def job(own: App) -> dict[str, Any]:
            found = own.meetings(since=since, attendee=attendee, folder=folder)
            return {"meetings": [meeting_summary(m) for m in found[:limit]], "total": len(found)}

        return reading(app, job)

    @server.tool(annotations=READ_ONLY, structured_output=True)
    @_tool
    def get_meeting(
        meeting_id: MeetingId,
        notes: Annotated[bool, Field(description="Include the notes exactly as typed.")] = True,
        enhanced: Annotated[
            bool,
            Field(
                description="Include the enhanced notes: each line with its source and citations."
            ),
        ] = True,
        transcript: Annotated[
            bool, Field(description="Include the transcript, one entry per segment.")
        ] = False,
        version: Annotated[
            int | None, Field(description="An earlier version of the enhanced notes.")
        ] = None,
    ) -> dict[str, Any]:
        """Read one meeting: its details and, as asked, the notes as typed, the enhanced notes
        (lines with source "user" are the user's words; "ai" lines cite transcript segments at
        [mm:ss]) and the transcript."""

        def job(own: App) -> dict[str, Any]:
            meeting = own.repo.get_meeting(meeting_id)
            out: dict[str, Any] = {"meeting": meeting_summary(meeting)}
            if notes:
                out["notes"] = meeting.notes
            if enhanced:
                stored = own.repo.get_enhanced(meeting_id, version)
                if stored is None and version is not None:
                    raise NotesAppError(
                        f"Meeting {meeting_id} has no version {version} of its enhanced notes."
                    )
                out["enhanced"] = enhanced_dict(stored) if stored else None
            if transcript:
                segments = own.repo.get_transcript(meeting_id).segments
                out["transcript"] = [segment_dict(s) for s in segments]
            return out

        return reading(app, job)

    @server.tool(annotations=READ_ONLY, structured_output=True)
    @_tool
    def search(
        query: Annotated[
            str,
            Field(
                description='Words to find (all must match); "an exact phrase"; -word leaves out.'
            ),
        ],
        since: Since = None,
        folder: Folder = None,
        meeting_id: Annotated[int | None, Field(description="Only this meeting.")] = None,
        limit: Annotated[int, Field(ge=1, le=200)] = 20,
    ) -> dict[str, Any]:
        """Search titles, notes, enhanced notes and transcripts of every meeting, best first.
        Matched words in each snippet are in [square brackets]."""

        def job(own: App) -> dict[str, Any]:
            filters = Filters(since=_since_iso(since), meeting_id=meeting_id, folder=folder)
            hits = own.search(query, filters, limit=limit)
            return {
                "results": [
                    {
                        **hit.to_dict(),
                        "at": None if hit.start is None else clock(hit.start),
                        "uri": meeting_uri(hit.meeting_id),
                    }
                    for hit in hits
                ]
            }

        return reading(app, job)

    @server.tool(annotations=READ_ONLY, structured_output=True)
    @_tool
    def ask(
        question: Annotated[str, Field(description="A question in plain words.")],
        meeting_id: Annotated[
            int | None, Field(description="Ask one meeting; leave out to ask across all.")
        ] = None,
        since: Since = None,
        folder: Folder = None,
    ) -> dict[str, Any]:
        """Answer a question from the meetings, citing the moments the answer comes from
        (offline from the best passages, or with the user's configured LLM)."""
        if not question.strip():
            raise NotesAppError("Give a question, e.g. “what did we promise Acme?”.")

        def job(own: App) -> dict[str, Any]:
            if meeting_id is not None:
                own.repo.get_meeting(meeting_id)
            filters = Filters(since=_since_iso(since), meeting_id=meeting_id, folder=folder)
            answer = own.ask(question, filters)
            return {
                "answer": answer.text,
                "mode": answer.mode,
                "citations": [
                    {
                        "meeting_id": p.meeting_id,
                        "title": p.title,
                        "segment": p.segment,
                        "at": clock(p.start) if p.segment is not None else None,
                        "text": p.text,
                        "uri": meeting_uri(p.meeting_id) if p.meeting_id is not None else None,
                    }
                    for p in answer.citations
                ],
            }

        return reading(app, job)

    @server.resource(
        URI_PREFIX + "{meeting_id}",
        name="meeting",
        description="A meeting as Markdown: enhanced notes with [mm:ss] citations, transcript.",
        mime_type="text/markdown",
    )
    def meeting_resource(meeting_id: str) -> str:
        if not meeting_id.isdigit():
            raise ResourceNotFoundError(
                f"“{meeting_id}” is not a meeting id: meeting addresses look like {meeting_uri(3)}."
            )

        def job(own: App) -> str:
            number = int(meeting_id)
            meeting = own.repo.get_meeting(number)
            notes = own.repo.get_enhanced(number)
            return meeting_markdown(meeting, notes, own.repo.get_transcript(number))

        try:
            return reading(app, job)
        except MeetingNotFound as e:
            raise ResourceNotFoundError(str(e)) from None
        except NotesAppError as e:
            raise ResourceError(str(e)) from None

    return server


def _since_iso(since: str | None) -> str | None:
    """A since filter as the search index compares it: a UTC ISO time."""
    if not since:
        return None
    return parse_since(since).astimezone(timezone.utc).isoformat(timespec="seconds")


def serve(app: App) -> None:
    """Answer MCP requests on stdin/stdout until the client closes them."""
    build_server(app).run("stdio")
