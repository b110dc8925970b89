"""The prompt that turns the user's notes plus the transcript into full notes, and the JSON
shape the model must answer in.

The notes and the transcript each sit in their own labelled block: notes with line numbers (so
the model can say which line it expands), transcript lines with segment ids, speaker and mm:ss
time (so every addition can cite what it came from).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from notes_app.domain import Meeting, Segment
from notes_app.enhance.templates import Template
from notes_app.render import clock

# What each block of the reply looks like. All fields required so strict JSON-schema servers
# accept it; note_line is null for sections the model adds (decisions, action items).
BLOCK_SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["heading", "bullet", "paragraph"]},
        "text": {"type": "string"},
        "source": {"type": "string", "enum": ["user", "ai"]},
        "note_line": {"type": ["integer", "null"]},
        "segments": {"type": "array", "items": {"type": "integer"}},
        "level": {"type": "integer"},
    },
    "required": ["type", "text", "source", "note_line", "segments", "level"],
    "additionalProperties": False,
}
REPLY_SCHEMA = {
    "type": "object",
    "properties": {"blocks": {"type": "array", "items": BLOCK_SCHEMA}},
    "required": ["blocks"],
    "additionalProperties": False,
}

RULES = """\
You turn a person's rough meeting notes into complete meeting notes, using the meeting's transcript.

Rules:
1. Keep every line of the user's notes exactly as written: same words, same order. Output each one \
as a block with "source": "user" and its line number in "note_line". The user's headings stay \
headings and start sections.
2. Under each user line, add blocks with "source": "ai" giving the context the meeting gave for \
that line: facts, figures, reasons, who said it. Set their "note_line" to the line they expand.
3. Add only what the transcript says. Never invent anything: no names, numbers, amounts or dates \
that are not in the transcript. If the meeting said nothing about a line, add nothing under it.
4. Every "ai" block lists in "segments" the ids of the transcript segments it comes from, \
e.g. [12, 13]. Only use ids that appear in the transcript block.
5. After the user's lines, add a "Decisions" and an "Action items" section (an "ai" heading with \
"note_line": null, then "ai" bullets) when the meeting made decisions or assigned work. Write an \
action item as "Owner: task (due: date)", leaving out an owner or date nobody said.
6. Notes marked AGENDA were typed before the recording started: they are topics planned for the \
meeting, not facts that were said in it.
7. If there are no notes, write the notes from the transcript alone: "ai" headings for the main \
topics with cited "ai" bullets under them.
8. "type" is "heading", "bullet" or "paragraph"; "level" is the heading level or bullet depth (1 \
when unsure).

Reply with JSON only, no other text:
{"blocks": [{"type": "bullet", "text": "...", "source": "user", "note_line": 2, "segments": [], \
"level": 1}, {"type": "bullet", "text": "...", "source": "ai", "note_line": 2, "segments": [4, 5], \
"level": 1}]}"""


@dataclass(frozen=True)
class TranscriptPart:
    """The slice of the transcript one request covers (the whole of it when it fits)."""

    segments: tuple[Segment, ...]
    number: int = 1
    total: int = 1


def template_text(template: Template) -> str:
    lines = [f"Template: {template.title}."]
    if template.description:
        lines.append(template.description)
    if template.sections:
        lines.append(
            "Sections to aim for, in this order, when the meeting covered them (the user's own "
            "headings come first and are never renamed): " + "; ".join(template.sections) + "."
        )
    if template.emphasis:
        lines.append("Emphasis: " + template.emphasis)
    return "\n".join(lines)


def system_prompt(template: Template) -> str:
    return RULES + "\n\n" + template_text(template)


def notes_block(notes: str, agenda_lines: Iterable[int] = ()) -> str:
    """The user's notes, one numbered line each; agenda lines say so."""
    agenda = set(agenda_lines)
    lines = notes.splitlines()
    if not any(line.strip() for line in lines):
        return "<notes>\n(no notes: write them from the transcript)\n</notes>"
    out = ["<notes> (line number | text)"]
    for number, line in enumerate(lines, start=1):
        mark = " AGENDA" if number in agenda and line.strip() else ""
        out.append(f"{number}{mark} | {line}")
    out.append("</notes>")
    return "\n".join(out)


def segment_line(seg: Segment) -> str:
    who = seg.speaker or "unknown"
    return f"[{seg.index}] {clock(seg.start)} {who}: {seg.text.strip()}"


def transcript_block(part: TranscriptPart) -> str:
    head = "<transcript> ([segment id] mm:ss speaker: text)"
    if part.total > 1 and part.segments:
        first, last = part.segments[0], part.segments[-1]
        head += (
            f"\nThis is part {part.number} of {part.total} of the meeting "
            f"({clock(first.start)}–{clock(last.end)}). Other parts are handled separately: keep "
            "every user line anyway, and add only what this part says."
        )
    body = [segment_line(s) for s in part.segments] or ["(no transcript)"]
    return "\n".join([head, *body, "</transcript>"])


def meeting_header(meeting: Meeting | None) -> str:
    if meeting is None:
        return ""
    lines = [f"Meeting: {meeting.title}"]
    if meeting.started_at:
        lines.append(f"Date: {meeting.started_at[:16].replace('T', ' ')}")
    if meeting.attendees:
        lines.append("Attendees: " + ", ".join(meeting.attendees))
    return "\n".join(lines)


def user_prompt(
    notes: str,
    part: TranscriptPart,
    *,
    meeting: Meeting | None = None,
    agenda_lines: Iterable[int] = (),
) -> str:
    pieces = [meeting_header(meeting), notes_block(notes, agenda_lines), transcript_block(part)]
    return "\n\n".join(p for p in pieces if p)


def build_messages(
    notes: str,
    part: TranscriptPart,
    template: Template,
    *,
    meeting: Meeting | None = None,
    agenda_lines: Iterable[int] = (),
) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": system_prompt(template)},
        {
            "role": "user",
            "content": user_prompt(notes, part, meeting=meeting, agenda_lines=agenda_lines),
        },
    ]


def estimate_tokens(text: str) -> int:
    """A rough count that errs high: about four characters per token for English."""
    return len(text) // 4 + 1
