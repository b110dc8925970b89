"""Enhanced notes as text: the terminal, Markdown, a self-contained HTML file, JSON.

In every form the user's own words and the AI's additions look different, and every AI line
shows its citations as timestamps. All user content is escaped in HTML.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable

import click

from notes_app.clock import clock, human_date, local_time
from notes_app.domain import Block, Citation, EnhancedNotes, Meeting, Segment, Transcript
from notes_app.textkit import speaker_label


def _cites(block: Block) -> str:
    return " ".join(f"[{clock(c.start)}]" for c in block.citations)


def _prefix(block: Block) -> str:
    if block.type == "heading":
        return "#" * max(1, min(block.level, 6)) + " "
    if block.type == "bullet":
        indent = "  " * max(block.level - 1, 0)
        return indent + (block.marker or "-") + " "
    return ""


def _ai_indent(block: Block, blocks: tuple[Block, ...], i: int) -> str:
    """AI context that expands a user's bullet or line sits one level under it; context under
    a heading stays at the top level of its section."""
    if block.source != "ai" or block.note_line is None:
        return ""
    for prev in reversed(blocks[:i]):
        if prev.source == "user" and prev.note_line == block.note_line:
            if prev.type == "heading":
                return ""
            return "  " * max(prev.level, 1) if prev.type == "bullet" else "  "
    return ""


def notes_to_terminal(
    meeting: Meeting, notes: EnhancedNotes, *, style: Callable[..., str] = click.style
) -> str:
    lines = [style(meeting.title, bold=True), _mode_line(notes, style), ""]
    for i, b in enumerate(notes.blocks):
        if b.source == "user":
            text = style(_prefix(b) + b.text, bold=b.type == "heading")
            lines.append(text + (" " + style(_cites(b), fg="cyan") if b.citations else ""))
        else:
            mark = "" if b.verified else style(" (unverified)", fg="yellow")
            body = _ai_indent(b, notes.blocks, i) + _prefix(b) + b.text
            if b.type == "heading":  # a section the AI added; its bullets carry the citations
                lines += ["", style(body, dim=True, bold=True)]
                continue
            lines.append(style(body, dim=True) + " " + style(_cites(b), fg="cyan") + mark)
    return "\n".join(lines).rstrip() + "\n"


def _mode_line(notes: EnhancedNotes, style: Callable[..., str]) -> str:
    how = "offline enhancer" if notes.mode == "offline" else f"LLM {notes.model or ''}".strip()
    ver = f"version {notes.version}, " if notes.version else ""
    return style(
        f"Enhanced notes ({ver}{how}). AI text is dimmed; [mm:ss] cites the transcript.", dim=True
    )


def notes_to_markdown(meeting: Meeting, notes: EnhancedNotes) -> str:
    """Markdown in which AI text is visibly distinct from the user's.

    User lines are written as typed (a line the call only said again is followed by the
    timestamp of where). AI lines are set in italics behind "AI:", with the citation
    timestamps, so the difference survives in any Markdown viewer and in plain text.
    """
    out = [f"# {meeting.title}", ""]
    meta = [x for x in (_date(meeting), _attendees(meeting)) if x]
    if meta:
        out += [" · ".join(meta), ""]
    out.append(
        f"_Enhanced notes ({notes.mode}). Lines in italics marked AI were added from the "
        "transcript; timestamps cite it._"
    )
    out.append("")
    for i, b in enumerate(notes.blocks):
        if b.source == "user":
            if b.type == "heading":
                out += ["", _prefix(b) + b.text, ""]
            else:  # a line the call said again cites where
                out.append(f"{_prefix(b)}{b.text} {_cites(b)}".rstrip())
            continue
        flag = "" if b.verified else " ⚠ unverified"
        cites = _cites(b)
        if b.type == "heading":
            out += ["", _prefix(b) + b.text + " _(AI)_", ""]
        else:
            indent = _ai_indent(b, notes.blocks, i)
            lead = _prefix(b) if b.type == "bullet" else "- "
            out.append(f"{indent}{lead}*AI: {_md_escape(b.text)}* {cites}{flag}".rstrip())
    return _squeeze("\n".join(out)) + "\n"


def _md_escape(text: str) -> str:
    # Keep AI text from breaking out of its italics.
    return text.replace("*", "\\*").replace("_", "\\_")


def _squeeze(text: str) -> str:
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()


def _date(meeting: Meeting) -> str:
    when = local_time(meeting.started_at)
    return human_date(when, weekday=True, time=True) if when else ""


def _attendees(meeting: Meeting) -> str:
    return ", ".join(meeting.attendees)


HTML_CSS = """
body{font:16px/1.55 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:46rem;margin:2rem auto;
padding:0 1rem;color:#1a1a1a;background:#fff}
h1{font-size:1.6rem;margin-bottom:.2rem}.meta{color:#666;margin-bottom:1.5rem}
.user{color:#111;white-space:pre-wrap}.ai{color:#6b6b6b}.ai.unverified{color:#8a5a00}
.ai.unverified::after{content:" unverified";font-size:.75em;border:1px solid #c9a34a;
border-radius:3px;padding:0 .25em;margin-left:.3em}
ul{padding-left:1.3rem}li{margin:.15rem 0}li.ai{list-style:circle}li.ordered{list-style:none}
.cite{font:12px ui-monospace,monospace;color:#2563eb;background:#eef3ff;border-radius:4px;
padding:0 .3em;margin-left:.25em;cursor:help;text-decoration:none;white-space:nowrap}
.legend{font-size:.85rem;color:#666;border-left:3px solid #ddd;padding-left:.6rem}
@media (prefers-color-scheme: dark){body{background:#161616;color:#e6e6e6}.user{color:#f2f2f2}
.ai{color:#9a9a9a}.cite{background:#1e2a44;color:#8fb3ff}}
"""


def notes_to_html(
    meeting: Meeting, notes: EnhancedNotes, transcript: Transcript | None = None
) -> str:
    """One self-contained HTML file: inline CSS, no scripts, every piece of content escaped."""
    by_index = transcript.by_index() if transcript else {}
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(meeting.title)}</title>",
        f"<style>{HTML_CSS}</style></head><body>",
        f"<h1>{html.escape(meeting.title)}</h1>",
    ]
    meta = " · ".join(x for x in (_date(meeting), _attendees(meeting)) if x)
    if meta:
        parts.append(f'<p class="meta">{html.escape(meta)}</p>')
    parts.append(
        '<p class="legend">Your notes are in dark text; grey text was added from the transcript. '
        "Each timestamp cites the moment it came from (hover to read it).</p>"
    )
    parts.append(blocks_to_html(notes.blocks, by_index))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def blocks_to_html(blocks: tuple[Block, ...], by_index: dict | None = None) -> str:
    """The blocks as escaped HTML fragments (used by export and by the share page)."""
    by_index = by_index or {}
    out: list[str] = []
    in_list = False
    for b in blocks:
        cls = b.source + ("" if b.verified or b.source == "user" else " unverified")
        cites = "".join(_cite_html(c, by_index) for c in b.citations)
        if b.type == "bullet" or (b.source == "ai" and b.type == "paragraph"):
            if not in_list:
                out.append("<ul>")
                in_list = True
            if b.marker:  # an ordered item shows the number the user typed
                cls += " ordered"
            out.append(f'<li class="{cls}">{html.escape(b.shown_text)}{cites}</li>')
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if b.type == "heading":
            level = min(max(b.level, 1), 4) + 1
            out.append(f'<h{level} class="{cls}">{html.escape(b.text)}{cites}</h{level}>')
        else:
            out.append(f'<p class="{cls}">{html.escape(b.text)}{cites}</p>')
    if in_list:
        out.append("</ul>")
    return "\n".join(out)


def _cite_html(c: Citation, by_index: dict) -> str:
    seg = by_index.get(c.segment)
    quote = ""
    if seg is not None:
        quote = f' title="{html.escape(said(seg), quote=True)}"'
    return f'<span class="cite" data-segment="{int(c.segment)}"{quote}>{clock(c.start)}</span>'


def said(seg: Segment) -> str:
    """A transcript line as people read it: "You: …", "Them: …", "Anna: …", or the words alone."""
    who = speaker_label(seg.speaker)
    return f"{who}: {seg.text}" if who else seg.text


def notes_to_json(meeting: Meeting, notes: EnhancedNotes) -> str:
    data = notes.to_dict()
    data["meeting"] = meeting.to_dict()
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def raw_notes_view(meeting: Meeting, transcript: Transcript) -> str:
    """What `show` prints for a meeting never enhanced: the notes as typed, then the transcript."""
    lines = [meeting.title, ""]
    if meeting.notes.strip():
        lines += ["Notes:", meeting.notes.rstrip(), ""]
    lines.append(f"Transcript ({len(transcript.segments)} segments):")
    lines += [f"[{clock(s.start)}] {said(s)}" for s in transcript.segments]
    return "\n".join(lines) + "\n"
