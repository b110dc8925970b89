"""The prompt that turns a few note lines, each with its evidence, into one line of context per
note, and the JSON shape the model answers in.

Evidence-first: the offline grounding has already picked, for every note line, the transcript
segments that ground it. The model is shown only those (full text, with who said it) and asked
for one short line per note, several notes per request. It is never shown the whole transcript
and never asked to repeat the user's lines or to choose citations: on a small local model those
were where it went wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from notes_app.domain import Meeting, Segment
from notes_app.enhance.actions import speaker_label
from notes_app.enhance.templates import Template

# Kinds of line a task asks for.
NOTE, ACTION, DECISION, SUMMARY = "note", "action", "decision", "summary"

ITEM_SCHEMA = {
    "type": "object",
    "properties": {
        "note": {"type": "integer"},
        "context": {"type": ["string", "null"]},
    },
    "required": ["note", "context"],
    "additionalProperties": False,
}
REPLY_SCHEMA = {
    "type": "object",
    "properties": {"items": {"type": "array", "items": ITEM_SCHEMA}},
    "required": ["items"],
    "additionalProperties": False,
}

RULES = """\
You expand a person's terse meeting notes into short lines of context, using ONLY the transcript \
lines given under each note.

Rules:
1. For each note write one short line (at most 25 words) saying what the meeting said about it: \
facts, figures, reasons, who said it.
2. Use only the transcript lines given under that note, never those of another note. Keep \
numbers, amounts, dates and names exactly as they appear there. Never add a name, number or \
date they do not contain.
3. Write like meeting notes: terse, factual, third person. Start with the fact, not with \
"X mentioned that". Keep the tense: a plan or promise stays one ("will send", not "sent"). \
No praise or opinion nobody said. Do not repeat the note itself.
4. If a note's transcript lines say nothing about it, its context is null.
5. A note marked ACTION ITEM is written as "Owner: task (due: date)", leaving out an owner or a \
date nobody said. A note marked DECISION is one line saying what was decided.

Reply with JSON only, one item per note, in the order given:
{"items": [{"note": 1, "context": "<one short line>"}, {"note": 2, "context": null}]}"""

_KIND_LABEL = {
    ACTION: "ACTION ITEM",
    DECISION: "DECISION",
    SUMMARY: "SUMMARY POINT",
}


@dataclass(frozen=True)
class Task:
    """One line for the model to write: a note (or an offline finding) and its evidence.

    ``text`` is the note line as typed, or the offline finding's own wording for action items,
    decisions and summary points; ``section`` the headings above a note (topic words);
    ``evidence`` the segments the line may use, which are also what it cites.
    """

    key: int
    kind: str
    text: str
    evidence: tuple[Segment, ...]
    section: str = ""
    agenda: bool = False


def template_text(template: Template) -> str:
    lines = [f"Template: {template.title}."]
    if template.description:
        lines.append(template.description)
    if template.sections:
        lines.append("Sections the notes aim for: " + "; ".join(template.sections) + ".")
    if template.emphasis:
        lines.append("Emphasis: " + template.emphasis)
    return "\n".join(lines)


def system_prompt(template: Template) -> str:
    return RULES + "\n\n" + template_text(template)


def evidence_line(seg: Segment) -> str:
    who = speaker_label(seg.speaker)
    text = " ".join(seg.text.split())
    return f"- {who}: {text}" if who else f"- {text}"


def task_block(number: int, task: Task) -> str:
    """One note with its transcript lines, as the user message shows it."""
    marks = []
    if task.kind in _KIND_LABEL:
        marks.append(_KIND_LABEL[task.kind])
    if task.section:
        marks.append(f'under "{task.section}"')
    if task.agenda:
        marks.append("an agenda topic typed before the meeting")
    head = f"Note {number}" + (f" ({', '.join(marks)})" if marks else "") + f": {task.text}"
    return "\n".join([head, "Transcript lines:", *(evidence_line(s) for s in task.evidence)])


def meeting_header(meeting: Meeting | None) -> str:
    if meeting is None:
        return ""
    lines = [f"Meeting: {meeting.title}"]
    if meeting.attendees:
        lines.append("Attendees: " + ", ".join(meeting.attendees))
    return "\n".join(lines)


def user_prompt(tasks: Sequence[Task], meeting: Meeting | None = None) -> str:
    notes = [task_block(n, t) for n, t in enumerate(tasks, start=1)]
    return "\n\n".join(p for p in [meeting_header(meeting), *notes] if p)


def build_messages(
    tasks: Sequence[Task], template: Template, meeting: Meeting | None = None
) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": system_prompt(template)},
        {"role": "user", "content": user_prompt(tasks, meeting)},
    ]


def estimate_tokens(text: str) -> int:
    """A count that errs high: tokenizers of small models average 3–4 characters per token."""
    return len(text) // 3 + 1


def reply_tokens(n_tasks: int) -> int:
    """Room for the reply: about 40 words of context per note plus the JSON around it."""
    return 24 + 56 * n_tasks
